// Progressive enhancement only: every page works without this file.
// Copy buttons: <button data-copy="#id"> copies the text of the element.
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-copy]");
  if (!b || !navigator.clipboard) return;
  var el = document.querySelector(b.getAttribute("data-copy"));
  if (!el) return;
  e.preventDefault();
  navigator.clipboard.writeText(el.value || el.textContent.trim()).then(function () {
    var was = b.textContent;
    b.textContent = "Copied";
    setTimeout(function () { b.textContent = was; }, 1500);
  });
});
// Filter forms submit when a select changes (the button stays for no-JS).
document.addEventListener("change", function (e) {
  var f = e.target.closest("form[data-autosubmit]");
  if (f && e.target.tagName === "SELECT") f.submit();
});
