/* Editing together: a heartbeat that holds the advisory edit lock and
   autosaves the open form (CKEditor bodies included) as a draft, and a
   warning before leaving a form with unsaved changes. */
"use strict";
(function () {
  function csrfToken(form) {
    const input = form.querySelector("input[name='csrfmiddlewaretoken']");
    return input ? input.value : "";
  }

  function editors() {
    return Object.entries(window.editors || {});
  }

  // Rich-text editors keep their text to themselves until the form is sent.
  function syncEditors() {
    editors().forEach(function (pair) {
      const textarea = document.getElementById(pair[0]);
      if (textarea && pair[1] && pair[1].getData) { textarea.value = pair[1].getData(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const panel = document.getElementById("editing-panel");
    if (!panel) { return; }
    const form = panel.closest("form");
    const lockLine = panel.querySelector(".editing-lock");
    const autosaveLine = panel.querySelector(".editing-autosave");
    const seconds = Math.max(1, parseFloat(panel.dataset.pulseSeconds) || 30);
    let unsaved = false; // since the page was loaded: warn before leaving
    let unsent = false; // since the last autosave
    let submitting = false;

    function changed() { unsaved = true; unsent = true; }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    const hooked = new Set();
    function hookEditors() {
      editors().forEach(function (pair) {
        if (hooked.has(pair[0]) || !pair[1] || !pair[1].model) { return; }
        hooked.add(pair[0]);
        pair[1].model.document.on("change:data", changed);
      });
    }
    hookEditors();
    const hooking = window.setInterval(hookEditors, 500);
    window.setTimeout(function () { window.clearInterval(hooking); }, 15000);

    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved && !submitting) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    function pulse() {
      let body;
      const autosaving = unsent;
      if (autosaving) {
        syncEditors();
        body = new FormData(form);
        // Files are not autosaved: only what was typed or chosen.
        Array.from(body.keys()).forEach(function (name) {
          if (body.getAll(name).some(function (value) { return value instanceof File; })) { body.delete(name); }
        });
        body.set("_autosave", "1");
      } else {
        body = new FormData();
        body.set("csrfmiddlewaretoken", csrfToken(form));
      }
      unsent = false;
      fetch(panel.dataset.pulseUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (answer) {
          if (answer.lock && lockLine) {
            lockLine.textContent = answer.lock.mine ? "" :
              answer.lock.holder + " has been editing since " + answer.lock.since + ". Your changes may clash with theirs.";
            lockLine.classList.toggle("editing-lock-other", !answer.lock.mine);
          }
          if (answer.autosaved && autosaveLine) {
            autosaveLine.textContent = "Draft autosaved at " + answer.autosaved + " (not published, not saved to the piece).";
          }
        })
        .catch(function () {
          if (autosaving) { unsent = true; }
          if (autosaveLine) { autosaveLine.textContent = "Autosave failed; your changes are still in this page."; }
        });
    }
    window.setInterval(pulse, seconds * 1000);
  });
})();
