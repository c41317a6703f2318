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
// Live parts: <div id="x" data-refresh="URL"> is replaced every few
// seconds by the element with the same id on the page at URL (the page
// itself refreshes without this file).
document.querySelectorAll("[data-refresh]").forEach(function (el) {
  var url = el.getAttribute("data-refresh");
  setInterval(function () {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(el.id);
      if (fresh) el.innerHTML = fresh.innerHTML;
    });
  }, 3000);
});
