/** The card's own layout on top of the shared look: a narrow chat column first. */
export const CARD_CSS = `
body{background:transparent}
#card{padding:.9rem;max-width:40rem}
#card>header{display:flex;flex-direction:column;gap:.2rem;margin-bottom:.5rem}
#card h1{font-size:1.1rem;margin:0}
.card-progress{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:.25rem 0 .5rem;padding:0;font-size:.78rem}
.card-progress li{padding:.1rem .5rem;border-radius:999px;border:1px solid var(--ar-line);color:var(--ar-muted)}
.card-progress li.done{background:var(--ar-sunken);color:var(--ar-text)}
.card-progress li.now{background:var(--ar-accent);border-color:var(--ar-accent);color:var(--ar-accent-text);font-weight:600}
.card-say{white-space:pre-wrap}
.card-heading{font-size:1rem;margin:.5rem 0 .25rem}
.card-options{display:flex;flex-direction:column;gap:.4rem;margin:.4rem 0}
.card-options button{justify-content:space-between;text-align:left;width:100%;flex-wrap:wrap}
.card-detail{font-weight:400;font-size:.8rem;opacity:.85}
.card-summary{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .75rem;margin:.5rem 0;padding:.6rem .75rem;background:var(--ar-panel);border:1px solid var(--ar-line);border-radius:var(--ar-radius-sm);font-size:.9rem}
.card-summary dt{color:var(--ar-muted)}
.card-summary dd{margin:0;overflow-wrap:anywhere}
.card-form{display:flex;flex-direction:column;gap:.4rem;margin:.5rem 0}
.card-check{display:flex;gap:.5rem;align-items:center}
.card-check input{width:auto}
.card-more{margin:.5rem 0}
.card-more summary{cursor:pointer;color:var(--ar-link)}
.card-trailing button{font-weight:500}
.card-edits{display:flex;flex-wrap:wrap;gap:0 1.25rem;margin:.25rem 0 .5rem}
.card-link,.card-link:hover{background:none;border-color:transparent;color:var(--ar-link);font-weight:500;text-decoration:underline;padding:.25rem 0;min-height:2rem}
.card-test{margin:.5rem 0}
@media (max-width:420px){#card{padding:.6rem}.card-summary{grid-template-columns:1fr}}
`;
