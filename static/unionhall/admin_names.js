// Names for the controls the admin's own scripts draw (axe: aria-input-field-name,
// aria-prohibited-attr). A member or user chosen by search (select2) is named by its field's
// label, which select2's own naming (by the choice shown, empty until one is made) leaves
// out; the filter boxes' search icons (SelectFilter2) are images with a name.
"use strict";
(function () {
  function nameTheDrawnControls() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container || !container.classList.contains("select2")) {
        return;
      }
      label.id = label.id || select.id + "_label";
      container.querySelectorAll(".select2-selection").forEach(function (box) {
        var shown = box.getAttribute("aria-labelledby") || "";
        if (shown.split(" ").indexOf(label.id) === -1) {
          box.setAttribute("aria-labelledby", (label.id + " " + shown).trim());
        }
      });
      container.querySelectorAll(".select2-selection__rendered").forEach(function (shown) {
        shown.setAttribute("aria-label", label.textContent.trim().replace(/:$/, ""));
      });
    });
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  // After the admin's own scripts draw them: they do so when jQuery says the page is ready,
  // which may come after the window's load.
  window.addEventListener("load", nameTheDrawnControls);
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () {
      window.setTimeout(nameTheDrawnControls, 0);
    });
  }
  document.addEventListener("formset:added", nameTheDrawnControls);
})();
