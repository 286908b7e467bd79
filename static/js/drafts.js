// Per-tab drafts of a lesson's code in localStorage: each tab writes its own, so two tabs never overwrite each other.
const PREFIX = "rnnlab:v2:draft:";
const KEEP = 8; // drafts kept per lesson (the newest); older tabs' drafts are dropped

function tabId() {
  // sessionStorage lives as long as the tab and survives its reloads: the tab's name for its draft.
  try {
    let id = sessionStorage.getItem("rnnlab:v2:tab");
    if (!id) {
      id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      sessionStorage.setItem("rnnlab:v2:tab", id);
    }
    return id;
  } catch {
    return "tab";
  }
}

function read(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "null");
    return value && typeof value.code === "string" && typeof value.saved === "number" ? value : null;
  } catch {
    return null;
  }
}

/** Drafts of one lesson: {initial(starter), save(code), onNewer(callback)}; `save` throws if storage is blocked. */
export function lessonDrafts(slug) {
  const tab = tabId();
  const prefix = `${PREFIX}${slug}:`;
  const mine = `${prefix}${tab}`;
  const legacy = `rnnlab:v1:code:${slug}`;
  let lastSaved = 0;

  function all() {
    const found = [];
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key && key.startsWith(prefix)) {
          const draft = read(key);
          if (draft) found.push({ key, tab: key.slice(prefix.length), ...draft });
        }
      }
    } catch { /* storage blocked */ }
    return found.sort((a, b) => b.saved - a.saved);
  }

  /** The newest draft another tab saved after this tab's own, or null. */
  function newerElsewhere() {
    const own = read(mine);
    return all().find((d) => d.tab !== tab && d.saved > (own ? own.saved : lastSaved)) || null;
  }

  return {
    /** This tab's own draft after a reload; in a new tab the newest draft of any tab (or the old shared one). */
    initial(starter) {
      const own = read(mine);
      if (own) { lastSaved = own.saved; return { code: own.code, from: "tab" }; }
      const newest = all()[0];
      if (newest) return { code: newest.code, from: "other" };
      let old = null;
      try { old = localStorage.getItem(legacy); } catch { /* blocked */ }
      return old !== null ? { code: old, from: "other" } : { code: starter, from: "starter" };
    },
    save(code) {
      lastSaved = Date.now();
      localStorage.setItem(mine, JSON.stringify({ code, saved: lastSaved }));
      for (const old of all().slice(KEEP)) localStorage.removeItem(old.key);
    },
    newerElsewhere,
    /** Calls back with another tab's draft whenever one is saved later than this tab's (storage events). */
    onNewer(callback) {
      window.addEventListener("storage", (event) => {
        if (!event.key || !event.key.startsWith(prefix) || event.key === mine) return;
        const other = newerElsewhere();
        if (other) callback(other);
      });
    },
  };
}
