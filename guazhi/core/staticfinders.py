"""Serves chosen files of npm packages (installed by `npm ci` into node_modules) as static
files, so nothing third-party is committed and nothing is loaded from a CDN."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage

# static path → path inside node_modules
NPM_FILES = {
    "vendor/htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
    "vendor/bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.min.css.map": "bootstrap/dist/css/bootstrap.min.css.map",
    "vendor/bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "vendor/bootstrap/bootstrap.bundle.min.js.map": (
        "bootstrap/dist/js/bootstrap.bundle.min.js.map"
    ),
    "vendor/bootstrap-icons/bootstrap-icons.min.css": (
        "bootstrap-icons/font/bootstrap-icons.min.css"
    ),
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2": (
        "bootstrap-icons/font/fonts/bootstrap-icons.woff2"
    ),
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff": (
        "bootstrap-icons/font/fonts/bootstrap-icons.woff"
    ),
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
}


class _OneFileStorage(FileSystemStorage):
    pass


class NpmFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.root = Path(settings.NODE_MODULES_DIR)

    def check(self, **kwargs):
        missing = [p for p in NPM_FILES.values() if not (self.root / p).exists()]
        if missing:
            return [
                CheckWarning(
                    f"前端依赖未安装（缺少 {missing[0]} 等 {len(missing)} 个文件），请运行 npm ci",
                    id="guazhi.W001",
                )
            ]
        return []

    def find(self, path, find_all=False, **kwargs):
        find_all = find_all or kwargs.get("all", False)
        source = NPM_FILES.get(path)
        if source is None:
            return [] if find_all else None
        full = self.root / source
        if not full.exists():
            return [] if find_all else None
        return [str(full)] if find_all else str(full)

    def list(self, ignore_patterns):
        for static_path, source in NPM_FILES.items():
            full = self.root / source
            if not full.exists():
                continue
            # A storage rooted so that `static_path` maps onto the npm file.
            prefix_dir = full.parent
            storage = _OneFileStorage(location=str(prefix_dir))
            storage.prefix = str(Path(static_path).parent)
            yield full.name, storage
