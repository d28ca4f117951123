/**
 * The one visual language shared by the card, the browser Chat and the one-time pages. Every
 * colour, font and radius is a token that takes an MCP Apps host's theme variable when the
 * host gives one and falls back to our own light or dark palette otherwise.
 */
export const LOOK_CSS = `
:root{
  color-scheme:light dark;
  --ar-bg:var(--color-background-primary,#ffffff);
  --ar-panel:var(--color-background-secondary,#f5f6f8);
  --ar-sunken:var(--color-background-tertiary,#eceef2);
  --ar-text:var(--color-text-primary,#16181d);
  --ar-muted:var(--color-text-secondary,#4f5663);
  --ar-line:var(--color-border-primary,#c9ced8);
  --ar-accent:var(--color-background-inverse,#1f5fd1);
  --ar-link:var(--color-text-info,#1f5fd1);
  --ar-accent-text:var(--color-text-inverse,#ffffff);
  --ar-ring:var(--color-ring-primary,#1f5fd1);
  --ar-good:var(--color-text-success,#17663a);
  --ar-good-bg:var(--color-background-success,#e5f4ea);
  --ar-bad:var(--color-text-danger,#a3231a);
  --ar-bad-bg:var(--color-background-danger,#fbe9e7);
  --ar-warn-bg:var(--color-background-warning,#fff4d6);
  --ar-font:var(--font-sans,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
  --ar-mono:var(--font-mono,ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace);
  --ar-radius:var(--border-radius-md,10px);
  --ar-radius-sm:var(--border-radius-sm,6px);
}
@media (prefers-color-scheme:dark){:root{
  --ar-bg:var(--color-background-primary,#15171c);
  --ar-panel:var(--color-background-secondary,#1e2128);
  --ar-sunken:var(--color-background-tertiary,#262a33);
  --ar-text:var(--color-text-primary,#eef0f4);
  --ar-muted:var(--color-text-secondary,#b3b9c5);
  --ar-line:var(--color-border-primary,#3b414d);
  --ar-accent:var(--color-background-inverse,#4d8bf0);
  --ar-link:var(--color-text-info,#86b0ff);
  --ar-accent-text:var(--color-text-inverse,#0b0d11);
  --ar-ring:var(--color-ring-primary,#86b0ff);
  --ar-good:var(--color-text-success,#7fd8a0);
  --ar-good-bg:var(--color-background-success,#173524);
  --ar-bad:var(--color-text-danger,#ff9d94);
  --ar-bad-bg:var(--color-background-danger,#3d1c19);
  --ar-warn-bg:var(--color-background-warning,#3a3116);
}}
*{box-sizing:border-box}
html,body{margin:0;background:var(--ar-bg);color:var(--ar-text);font:16px/1.5 var(--ar-font)}
h1,h2,h3{line-height:1.25;margin:0 0 .5rem}
h1{font-size:1.35rem}h2{font-size:1.1rem;margin-top:1.25rem}h3{font-size:1rem}
p{margin:.5rem 0}
a{color:var(--ar-link)}
code,pre,.ar-value{font-family:var(--ar-mono);font-size:.9rem}
.ar-brand{display:flex;align-items:center;gap:.5rem;color:var(--ar-muted);font-size:.85rem;font-weight:600;letter-spacing:.02em;text-transform:uppercase}
.ar-brand::before{content:"";width:.75rem;height:.75rem;border-radius:3px;background:var(--ar-accent)}
.ar-panel{background:var(--ar-panel);border:1px solid var(--ar-line);border-radius:var(--ar-radius);padding:1rem}
.ar-note{color:var(--ar-muted);font-size:.92rem}
.ar-alert{background:var(--ar-bad-bg);color:var(--ar-bad);border-radius:var(--ar-radius-sm);padding:.5rem .75rem;font-weight:600}
.ar-ok{background:var(--ar-good-bg);color:var(--ar-good);border-radius:var(--ar-radius-sm);padding:.5rem .75rem;font-weight:600}
.ar-warn{background:var(--ar-warn-bg);border-radius:var(--ar-radius-sm);padding:.5rem .75rem}
.ar-field{margin:.75rem 0}
.ar-field>.ar-label{display:block;font-weight:600;font-size:.9rem;margin-bottom:.25rem}
.ar-copyrow{display:flex;align-items:flex-start;gap:.5rem}
.ar-value{flex:1;min-width:0;margin:0;background:var(--ar-sunken);border:1px solid var(--ar-line);border-radius:var(--ar-radius-sm);padding:.5rem .6rem;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-all}
button,.ar-button{font:inherit;font-size:.95rem;font-weight:600;border-radius:var(--ar-radius-sm);border:1px solid var(--ar-line);background:var(--ar-bg);color:var(--ar-text);padding:.5rem .9rem;cursor:pointer;min-height:2.5rem;text-decoration:none;display:inline-flex;align-items:center;justify-content:center;gap:.4rem}
button:hover,.ar-button:hover{background:var(--ar-sunken)}
button.ar-primary,.ar-button.ar-primary{background:var(--ar-accent);border-color:var(--ar-accent);color:var(--ar-accent-text)}
button.ar-primary:hover{filter:brightness(1.08)}
button:disabled{opacity:.55;cursor:not-allowed}
button:focus-visible,a:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid var(--ar-ring);outline-offset:2px}
input,textarea{font:inherit;width:100%;color:var(--ar-text);background:var(--ar-bg);border:1px solid var(--ar-line);border-radius:var(--ar-radius-sm);padding:.5rem .6rem}
.ar-actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
.ar-copy{flex:none}
.ar-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/**
 * The copy buttons' script: a button with `data-copy="ID"` copies the text of element ID whole,
 * however it wraps on screen, and says so in its label. Where the clipboard is refused it
 * selects the text instead, so Ctrl+C still works.
 */
export const COPY_SCRIPT = `
document.addEventListener("click",function(event){
  var button=event.target instanceof Element?event.target.closest("[data-copy]"):null;
  if(!button)return;
  var source=document.getElementById(button.getAttribute("data-copy"));
  if(!source)return;
  var text=source.textContent||"";
  var label=button.textContent;
  var say=function(word){button.textContent=word;setTimeout(function(){button.textContent=label},2000)};
  var select=function(){var range=document.createRange();range.selectNodeContents(source);var s=getSelection();s.removeAllRanges();s.addRange(range);say("Press Ctrl+C")};
  if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(text).then(function(){say("Copied")},select)}else{select()}
});
`;
