// Sổ cái giám sát: the only script. Pages work without it; it only keeps a
// form from being sent twice by a double click (the idempotency key makes a
// second send harmless anyway) and moves focus to the first field at fault.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
  var bad = document.querySelector("[aria-invalid=true]");
  if (bad) { bad.focus(); }
});
