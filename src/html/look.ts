/**
 * The one visual language shared by the card, the browser Chat and the one-time pages. Every
 * colour, font and radius is a token that takes an MCP Apps host's theme variable when the
 * host gives one and falls back to our own light or dark palette otherwise, chosen by the
 * page's `color-scheme`: the person's preference, or the host's theme once a card applies it.
 */
export const LOOK_CSS = `
:root{
  color-scheme:light dark;
  --ar-bg:var(--color-background-primary,light-dark(#ffffff,#15171c));
  --ar-panel:var(--color-background-secondary,light-dark(#f5f6f8,#1e2128));
  --ar-sunken:var(--color-background-tertiary,light-dark(#eceef2,#262a33));
  --ar-text:var(--color-text-primary,light-dark(#16181d,#eef0f4));
  --ar-muted:var(--color-text-secondary,light-dark(#4f5663,#b3b9c5));
  --ar-line:var(--color-border-primary,light-dark(#c9ced8,#3b414d));
  --ar-accent:var(--color-background-inverse,light-dark(#1f5fd1,#4d8bf0));
  --ar-link:var(--color-text-info,light-dark(#1f5fd1,#86b0ff));
  --ar-accent-text:var(--color-text-inverse,light-dark(#ffffff,#0b0d11));
  --ar-ring:var(--color-ring-primary,light-dark(#1f5fd1,#86b0ff));
  --ar-good:var(--color-text-success,light-dark(#17663a,#7fd8a0));
  --ar-good-bg:var(--color-background-success,light-dark(#e5f4ea,#173524));
  --ar-bad:var(--color-text-danger,light-dark(#a3231a,#ff9d94));
  --ar-bad-bg:var(--color-background-danger,light-dark(#fbe9e7,#3d1c19));
  --ar-warn-bg:var(--color-background-warning,light-dark(#fff4d6,#3a3116));
  --ar-font:var(--font-sans,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
  --ar-mono:var(--font-mono,ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace);
  --ar-radius:var(--border-radius-md,10px);
  --ar-radius-sm:var(--border-radius-sm,6px);
}
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
