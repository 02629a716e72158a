/* What the pages do in the browser, without any inline script (the Content-Security-Policy allows
 * scripts from this site's files only: script-src 'self'). Templates say what they want with data-
 * attributes; the listeners below sit on the document, so content swapped in by htmx works too.
 *
 *   <select data-autosubmit>                 submits its form (a full page load) when the choice changes
 *   <input type="checkbox" data-select-all="entries">
 *                                            ticks or unticks every input[name=entries]
 *   <form data-confirm="确定……？">            asks before it is submitted
 *   <button data-menu-toggle aria-controls="…">
 *                                            folds and unfolds the navigation on a phone (class
 *                                            menu-open on its .topbar; aria-expanded says which)
 *   <section data-progress-url="…">          polls the JSON {progress, done} at that address: fills
 *                                            its <progress> and .progress-text, reloads when done
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) {
      // submit(), not requestSubmit(): a plain navigation, as before, which htmx leaves alone.
      target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var box = event.target;
    if (!box.matches("input[type=checkbox][data-select-all]")) {
      return;
    }
    var name = box.getAttribute("data-select-all");
    document.querySelectorAll("input[type=checkbox]").forEach(function (other) {
      if (other.name === name) {
        other.checked = box.checked;
      }
    });
  });

  function setMenu(toggle, open) {
    var bar = toggle.closest(".topbar");
    if (bar) {
      bar.classList.toggle("menu-open", open);
    }
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (toggle) {
      setMenu(toggle, toggle.getAttribute("aria-expanded") !== "true");
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("[data-menu-toggle][aria-expanded=true]").forEach(function (toggle) {
      setMenu(toggle, false);
      toggle.focus();
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  function pollProgress(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector(".progress-text");
    function poll() {
      fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (status) {
          if (bar) {
            bar.value = status.progress;
          }
          if (text) {
            text.textContent = status.progress + "%";
          }
          if (status.done) {
            window.location.reload();
          } else {
            // The server says when to ask again: less often as the import waits.
            setTimeout(poll, (status.poll_after || 1.5) * 1000);
          }
        })
        .catch(function () {
          setTimeout(poll, 5000);
        });
    }
    setTimeout(poll, 1000);
  }

  function start() {
    document.querySelectorAll("[data-progress-url]").forEach(pollProgress);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
