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

  function bylineRows() {
    return Array.from(document.querySelectorAll("#bylines-group tr.form-row:not(.empty-form)"));
  }

  function renumber() {
    bylineRows().forEach(function (row, index) {
      const position = row.querySelector("input.byline-position");
      if (position) { position.value = String(index + 1); }
    });
  }

  function addMoveButtons(row) {
    const cell = row.querySelector("td.field-position");
    if (!cell || cell.querySelector(".byline-move")) {
      return;
    }
    [["up", "Move up"], ["down", "Move down"]].forEach(function (pair) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "byline-move byline-move-" + pair[0];
      button.textContent = pair[0] === "up" ? "↑" : "↓";
      button.setAttribute("aria-label", pair[1]);
      button.title = pair[1];
      button.addEventListener("click", function () {
        const rows = bylineRows();
        const index = rows.indexOf(row);
        const other = rows[pair[0] === "up" ? index - 1 : index + 1];
        if (!other) { return; }
        if (pair[0] === "up") { other.before(row); } else { other.after(row); }
        renumber();
        button.focus();
      });
      cell.appendChild(button);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    summaryCounter();
    bylineRows().forEach(addMoveButtons);
    document.addEventListener("formset:added", function (event) {
      if (event.target && event.target.matches && event.target.matches("#bylines-group tr.form-row")) {
        addMoveButtons(event.target);
      }
    });
    if (window.django && window.django.jQuery) {
      // Select2 (the admin's autocomplete) announces changes through jQuery.
      window.django.jQuery(document).on("change", "#bylines-group select[name$='-author']", function () {
        fillSnapshot(this);
      });
    }
  });
})();
