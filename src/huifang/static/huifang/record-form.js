/* The record form in the page, without a round trip to the server.
 *
 * - "Add another problem / measure" clones the formset's empty row from its <template>
 *   and raises TOTAL_FORMS; a row's "Remove" button takes it out. Without this script
 *   the add buttons post the form and the server shows it again with one more row
 *   (ADD_ROW in visits/record_page.py), and clearing a description drops a row.
 * - On a phone the sections fold, so the form is a short list of headings; a section
 *   that shows an error stays open.
 *
 * A static file because the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var form = document.getElementById("record-form");
  if (!form) {
    return;
  }

  // Django's formsets number their rows 0 .. TOTAL_FORMS - 1 and read nothing past the
  // total, so after a removal the rows that follow move up one place: every name, id,
  // label and description reference inside a row carries the row's number.
  var ATTRIBUTES = ["name", "id", "for", "aria-describedby"];

  function renumber(container) {
    var prefix = container.getAttribute("data-formset");
    var pattern = new RegExp("(^|\\s|id_)" + prefix + "-(\\d+|__prefix__)-", "g");
    var rows = container.querySelectorAll("[data-formset-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("*").forEach(function (element) {
        ATTRIBUTES.forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value) {
            element.setAttribute(
              attribute,
              value.replace(pattern, "$1" + prefix + "-" + index + "-")
            );
          }
        });
      });
    });
    var total = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    if (total) {
      total.value = String(rows.length);
    }
  }

  function containerFor(prefix) {
    return form.querySelector("[data-formset='" + prefix + "']");
  }

  // The server's "add another" stops at 50 rows (_with_extra_row): so does this.
  var MAX_ROWS = 50;

  function addRow(prefix) {
    var container = containerFor(prefix);
    var template = container && container.querySelector("template[data-row-template]");
    if (!template) {
      return false;
    }
    if (container.querySelectorAll("[data-formset-row]").length >= MAX_ROWS) {
      return true;  // handled: nothing to add, and no post either
    }
    var row = template.content.firstElementChild.cloneNode(true);
    container.insertBefore(row, template);
    renumber(container);
    var first = row.querySelector("select, textarea, input:not([type=hidden])");
    if (first) {
      first.focus();
    }
    return true;
  }

  function removeRow(button) {
    var row = button.closest("[data-formset-row]");
    var container = row && row.closest("[data-formset]");
    if (!container) {
      return;
    }
    var add = form.querySelector("[data-add-row='" + container.getAttribute("data-formset") + "']");
    row.remove();
    renumber(container);
    if (add) {
      add.focus();  // the focus would otherwise fall back to the top of the page
    }
  }

  form.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var add = target.closest("[data-add-row]");
    if (add && addRow(add.getAttribute("data-add-row"))) {
      event.preventDefault();
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      removeRow(remove);
    }
  });
  form.classList.add("js-rows");

  // Bootstrap's "sm" breakpoint: below it the page is a phone's.
  if (window.matchMedia("(max-width: 575.98px)").matches) {
    form.querySelectorAll("details.record-fold").forEach(function (details) {
      if (!details.querySelector(".invalid-feedback, .alert-danger")) {
        details.open = false;
      }
    });
  }
})();
