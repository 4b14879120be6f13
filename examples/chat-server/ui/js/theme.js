// Runs before first paint (not a module): apply the remembered theme to avoid a flash.
(function () {
  var theme = null;
  try { theme = localStorage.getItem("chatcore.theme"); } catch (e) { /* storage blocked */ }
  if (theme !== "light" && theme !== "dark") {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = theme;
})();
