// The code editor: CodeMirror 6 (vendored bundle) set up for Python, with Ctrl/Cmd+Enter to submit and
// Ctrl/Cmd+Shift+Enter to check.
import {
  EditorState, EditorView, Compartment, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection, dropCursor, rectangularSelection, defaultKeymap, history,
  historyKeymap, indentWithTab, indentOnInput, indentUnit, bracketMatching, foldGutter, foldKeymap,
  syntaxHighlighting, defaultHighlightStyle, closeBrackets, closeBracketsKeymap, searchKeymap,
  highlightSelectionMatches, python,
} from "/static/vendor/codemirror/codemirror.js";

// Colours come from app.css custom properties (--editor-*); the dark theme turns the whole editor dark there.
const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "14px", backgroundColor: "var(--editor-bg)", color: "var(--editor-text)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--editor-text)" },
  ".cm-cursor": { borderLeftColor: "var(--editor-text)" },
  ".cm-gutters": { backgroundColor: "var(--editor-gutter)", color: "var(--editor-muted)", borderRight: "1px solid var(--editor-border)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--editor-active-gutter)", color: "var(--editor-text)" },
  ".cm-activeLine": { backgroundColor: "var(--editor-active)" },
  // The ring sits on the editor's box (app.css .editor:focus-within), where an outline is never clipped.
  "&.cm-focused": { outline: "none" },
  ".cm-error-line": { backgroundColor: "var(--editor-error-bg)", boxShadow: "inset 3px 0 0 var(--editor-error)" },
});

// The bundle exports no Decoration class; the active-line highlighter's own line decoration leads to it, so the
// vendored bundle stays as built.
function decorationClass(view) {
  for (const source of view.state.facet(EditorView.decorations)) {
    const set = typeof source === "function" ? source(view) : source;
    const cursor = set && set.iter ? set.iter() : null;
    if (cursor && cursor.value) {
      const cls = Object.getPrototypeOf(cursor.value.constructor);
      if (cls && typeof cls.line === "function" && typeof cls.set === "function") return cls;
    }
  }
  return null;
}

/** Mounts an editor in `parent`; returns {getCode, setCode, focus, markLine, view}. */
export function createEditor(parent, doc, { onChange, onSubmit, onCheck = onSubmit, label, describedBy = "shortcut" }) {
  const submitKeys = [
    { key: "Mod-Enter", preventDefault: true, run: () => { onSubmit(); return true; } },
    { key: "Shift-Mod-Enter", preventDefault: true, run: () => { onCheck(); return true; } },
  ];
  const marks = new Compartment();
  const aria = new Compartment();
  const ariaFor = (extra) => EditorView.contentAttributes.of({
    "aria-label": label, "aria-describedby": [describedBy, extra].filter(Boolean).join(" "), tabindex: "0",
  });
  let marked = null;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), foldGutter(),
        drawSelection(), dropCursor(), EditorState.allowMultipleSelections.of(true), indentOnInput(),
        indentUnit.of("    "), EditorState.tabSize.of(4),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }), bracketMatching(), closeBrackets(),
        rectangularSelection(), highlightActiveLine(), highlightSelectionMatches(),
        // Submit first so Mod-Enter never inserts a line; Tab indents (Esc then Tab leaves the editor).
        keymap.of([...submitKeys, ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap,
          ...foldKeymap, indentWithTab]),
        python(), theme, EditorView.lineWrapping,
        // tabindex="0" adds no tab stop (contenteditable is focusable anyway) but tells checkers like axe that
        // the scrolling editor is reachable by keyboard.
        aria.of(ariaFor(null)), marks.of([]),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          // A marked error belongs to the code it was found in: the first edit clears it.
          if (marked !== null) clearMark();
          onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  const Decoration = decorationClass(view);

  function clearMark() {
    marked = null;
    queueMicrotask(() => view.dispatch({ effects: [marks.reconfigure([]), aria.reconfigure(ariaFor(null))] }));
  }

  return {
    view,
    getCode: () => view.state.doc.toString(),
    // One transaction: Ctrl+Z brings the previous code back.
    setCode: (code) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } }),
    focus: () => view.focus(),
    /** Marks line `number` (1-based) as where an error is; `describedBy` names the element that says what it is. */
    markLine(number, title, messageId) {
      if (number < 1 || number > view.state.doc.lines) return false;
      const line = view.state.doc.line(number);
      marked = number;
      const effects = [aria.reconfigure(ariaFor(messageId))];
      if (Decoration) {
        const deco = Decoration.line({ class: "cm-error-line", attributes: { title, "data-error-line": String(number) } });
        effects.push(marks.reconfigure(EditorView.decorations.of(Decoration.set([deco.range(line.from)]))));
      }
      view.dispatch({ effects, selection: { anchor: line.from }, scrollIntoView: true });
      return true;
    },
    clearMark: () => { if (marked !== null) clearMark(); },
  };
}
