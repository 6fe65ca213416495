/* The commentary change form: a live count for the summary, and bylines that
   take the author's bio and email from their profile when an author is chosen. */
"use strict";
(function () {
  function summaryCounter() {
    const summary = document.getElementById("id_summary");
    if (!summary || !summary.maxLength || summary.maxLength < 0) {
      return;
    }
    const counter = document.createElement("p");
    counter.className = "help summary-counter";
    counter.setAttribute("aria-live", "polite");
    summary.insertAdjacentElement("afterend", counter);
    const update = function () {
      const used = summary.value.length;
      counter.textContent = used + " of " + summary.maxLength + " characters";
      counter.classList.toggle("summary-counter-full", used >= summary.maxLength);
    };
    summary.addEventListener("input", update);
    update();
  }

  function rowOf(select) {
    return select.closest("tr.form-row") || select.closest(".inline-related");
  }

  function numberRow(row) {
    const position = row.querySelector("input.byline-position");
    if (!position || (position.value && position.value !== "0")) {
      return;
    }
    const rows = Array.from(document.querySelectorAll("#bylines-group tr.form-row:not(.empty-form)"));
    position.value = String(rows.indexOf(row) + 1);
  }

  function fillSnapshot(select) {
    const config = document.getElementById("byline-config");
    const row = rowOf(select);
    const savedId = row && row.querySelector("input[type='hidden'][name$='-id']");
    // Saved bylines keep what was printed; only new rows are filled in.
    if (!config || !row || !select.value || (savedId && savedId.value)) {
      return;
    }
    numberRow(row);
    const url = config.dataset.authorSnapshotUrl.replace("/0/", "/" + encodeURIComponent(select.value) + "/");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (author) {
        if (!author) {
          return;
        }
        const bio = row.querySelector("textarea[name$='-bio']");
        const email = row.querySelector("input[name$='-email']");
        if (bio && !bio.value) { bio.value = author.short_bio; }
        if (email && !email.value) { email.value = author.email; }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    summaryCounter();
    if (window.django && window.django.jQuery) {
      // Select2 (the admin's autocomplete) announces changes through jQuery.
      window.django.jQuery(document).on("change", "#bylines-group select[name$='-author']", function () {
        fillSnapshot(this);
      });
    }
  });
})();
