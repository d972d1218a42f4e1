// Runs before the page paints: the theme chosen with the header's button (kept in this browser),
// else the system's. No inline script: the console's CSP allows only its own files.
(() => {
  const saved = localStorage.getItem('hearthook-theme');
  if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
})();
