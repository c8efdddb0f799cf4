// Embeds the preference centre in the operator's page:
//   <div id="privacy-choices"></div>
//   <script src="https://preferences.example.com/assets/embed.js"
//           data-link="{the signed link your backend issued}" data-target="privacy-choices"
//           data-title="Your privacy choices" defer></script>
// The centre must list the page's origin in PREFERENCE_CENTRE_FRAME_ANCESTORS, or the browser
// refuses to show it framed. The frame grows to the page's height as the centre reports it.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var link = script.getAttribute('data-link');
  var target = document.getElementById(script.getAttribute('data-target') || '');
  if (!link || !target) return;
  var centreOrigin = new URL(script.src).origin;
  if (new URL(link).origin !== centreOrigin) return;
  var frame = document.createElement('iframe');
  frame.src = link;
  frame.title = script.getAttribute('data-title') || 'Privacy choices';
  frame.style.width = '100%';
  frame.style.border = '0';
  frame.style.minHeight = '40rem';
  target.appendChild(frame);
  window.addEventListener('message', function (event) {
    if (event.origin !== centreOrigin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === 'consent-ledger-preference-centre:height' && data.height > 0)
      frame.style.height = Math.ceil(data.height) + 'px';
  });
})();
