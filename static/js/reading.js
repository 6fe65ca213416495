// Turn protected email addresses ("jane [at] example [dot] org") into mailto: links.
// The address is stored reversed and base64-encoded in data-email, so it never
// appears as plain text in the HTML.
(function () {
  "use strict";
  function decode(value) {
    var bytes = Uint8Array.from(atob(value), function (c) { return c.charCodeAt(0); });
    return Array.from(new TextDecoder().decode(bytes)).reverse().join("");
  }
  document.querySelectorAll("span.email[data-email]").forEach(function (span) {
    var address;
    try { address = decode(span.getAttribute("data-email")); } catch (e) { return; }
    if (address.indexOf("@") < 1) { return; }
    var link = document.createElement("a");
    link.href = "mailto:" + address;
    link.textContent = address;
    link.className = "email";
    span.replaceWith(link);
  });
})();
