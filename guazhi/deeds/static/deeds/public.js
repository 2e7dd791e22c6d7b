// Public deed page. Without JavaScript everything works as plain form posts; with it,
// "获取验证码" asks the JSON endpoint without leaving the page and counts down before a resend,
// and the QR card gets a print button. No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  function codeButton(button) {
    var form = button.form;
    var mobile = form.querySelector("[name=mobile]");
    var code = form.querySelector("[name=code]");
    var status = form.querySelector("[data-code-status]");
    var error = document.getElementById("mobile-error");
    var label = button.textContent;

    function showError(message) {
      error.textContent = message;
      mobile.classList.add("is-invalid");
    }

    function countdown(seconds) {
      button.disabled = true;
      var tick = function () {
        if (seconds <= 0) {
          button.disabled = false;
          button.textContent = label;
          return;
        }
        button.textContent = button.dataset.wait.replace("{s}", seconds);
        seconds -= 1;
        window.setTimeout(tick, 1000);
      };
      tick();
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      error.textContent = "";
      mobile.classList.remove("is-invalid");
      status.textContent = "";
      button.disabled = true;
      fetch(button.dataset.codeUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ mobile: mobile.value }),
        credentials: "omit",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            status.textContent = button.dataset.sent;
            if (result.data.demo_code && button.dataset.demo) {
              var demo = document.createElement("strong");
              demo.className = "text-danger-emphasis";
              demo.textContent = " " + button.dataset.demo.replace("{code}", result.data.demo_code);
              status.appendChild(demo);
            }
            countdown(60);
            code.focus();
          } else {
            button.disabled = false;
            showError(result.data.mobile || result.data[""] || button.dataset.failed);
          }
        })
        .catch(function () {
          button.disabled = false;
          showError(button.dataset.failed);
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-code-button]").forEach(codeButton);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.classList.remove("d-none");
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
