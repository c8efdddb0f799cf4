// Progressive enhancement only: every action of the centre works without this script.
// Global Privacy Control set only in the browser (navigator.globalPrivacyControl, without the
// Sec-GPC header) is told to the centre once, so it is honoured as the header would be.
(function () {
  'use strict';
  var form = document.getElementById('gpc-form');
  if (!form || form.getAttribute('data-gpc-seen') === 'yes') return;
  if (navigator.globalPrivacyControl !== true) return;
  var body = new URLSearchParams(new FormData(form));
  fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual' })
    .then(function () {
      window.location.replace('/preferences?gpc=1');
    })
    .catch(function () {
      /* the page stays as it is; the choices still work */
    });
})();
