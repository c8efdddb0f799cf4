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

// Framed by the operator's site (embed.js): tell the frame's parent how tall the page is, so the
// frame fits it without a scroll bar. Only a height is sent; any parent may read it.
(function () {
  'use strict';
  if (window.parent === window) return;
  function report() {
    window.parent.postMessage(
      {
        type: 'consent-ledger-preference-centre:height',
        height: document.documentElement.scrollHeight,
      },
      '*',
    );
  }
  window.addEventListener('load', report);
  window.addEventListener('resize', report);
})();
