"""guazhi (挂职): cadre secondment programme platform."""

__version__ = "0.1.0"
