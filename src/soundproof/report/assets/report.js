/* Soundproof HTML report: sort and filter the tracks table.
 *
 * Inlined into the page (no libraries, no network). The table is complete without it;
 * this only reorders and hides rows. Sort keys and row text are read from the DOM once,
 * lazily, and rows are moved with one DocumentFragment, so tens of thousands of rows
 * stay responsive.
 */
(() => {
  "use strict";
  const table = document.getElementById("tracks-table");
  if (!table || !table.tHead || !table.tBodies.length) {
    return;
  }
  const body = table.tBodies[0];
  const headers = Array.from(table.tHead.rows[0].cells);
  const items = Array.from(body.rows, (tr, index) => ({ tr, index, text: null, keys: [] }));
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const filterInput = document.getElementById("filter");
  const verdictBoxes = Array.from(document.querySelectorAll("input[name='verdict']"));
  const shown = document.getElementById("shown");

  /* The sort key of one cell: its data-sort attribute, else its text; null when empty. */
  function keyOf(item, column, numeric) {
    if (!(column in item.keys)) {
      const cell = item.tr.cells[column];
      const raw = cell ? (cell.dataset.sort ?? cell.textContent).trim() : "";
      let key = raw === "" ? null : raw;
      if (numeric && key !== null) {
        key = Number(key);
        if (Number.isNaN(key)) {
          key = null;
        }
      }
      item.keys[column] = key;
    }
    return item.keys[column];
  }

  /* Sort the rows by one column; empty cells go last in both directions, ties keep scan order. */
  function sortBy(column, direction) {
    const numeric = headers[column].dataset.type === "number";
    const sign = direction === "descending" ? -1 : 1;
    items.sort((a, b) => {
      const ka = keyOf(a, column, numeric);
      const kb = keyOf(b, column, numeric);
      if (ka === null || kb === null) {
        return (ka === null) - (kb === null) || a.index - b.index;
      }
      const order = numeric ? ka - kb : collator.compare(ka, kb);
      return sign * order || a.index - b.index;
    });
    const fragment = document.createDocumentFragment();
    for (const item of items) {
      fragment.appendChild(item.tr);
    }
    body.appendChild(fragment);
    headers.forEach((th, i) => {
      if (th.hasAttribute("aria-sort")) {
        th.setAttribute("aria-sort", i === column ? direction : "none");
      }
    });
  }

  headers.forEach((th, column) => {
    const button = th.querySelector("button");
    if (!button) {
      return;
    }
    button.addEventListener("click", () => {
      const current = th.getAttribute("aria-sort");
      let next = th.dataset.first || "ascending";
      if (current === "ascending") {
        next = "descending";
      } else if (current === "descending") {
        next = "ascending";
      }
      sortBy(column, next);
    });
  });

  /* Show the rows whose verdict is ticked and whose text holds every word typed. */
  function applyFilter() {
    const words = filterInput ? filterInput.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
    const allowed = new Set(verdictBoxes.filter((box) => box.checked).map((box) => box.value));
    let visible = 0;
    for (const item of items) {
      if (words.length && item.text === null) {
        item.text = item.tr.textContent.toLowerCase();
      }
      const keep = allowed.has(item.tr.dataset.verdict) && words.every((w) => item.text.includes(w));
      item.tr.hidden = !keep;
      visible += keep ? 1 : 0;
    }
    if (shown) {
      shown.textContent = `${visible} of ${items.length} shown`;
    }
  }

  let timer = 0;
  const delay = items.length > 2000 ? 150 : 0;
  if (filterInput) {
    filterInput.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(applyFilter, delay);
    });
  }
  verdictBoxes.forEach((box) => box.addEventListener("change", applyFilter));
  applyFilter();
  document.documentElement.dataset.ready = "true";
})();
