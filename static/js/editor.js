// The code editor: CodeMirror 6 (vendored bundle) set up for Python, with Ctrl/Cmd+Enter to submit.
import {
  EditorState, EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection, dropCursor, rectangularSelection, defaultKeymap, history,
  historyKeymap, indentWithTab, indentOnInput, indentUnit, bracketMatching, foldGutter, foldKeymap,
  syntaxHighlighting, defaultHighlightStyle, closeBrackets, closeBracketsKeymap, searchKeymap,
  highlightSelectionMatches, python,
} from "/static/vendor/codemirror/codemirror.js";

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "14px", backgroundColor: "#fff" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-gutters": { backgroundColor: "#f6f8fa", color: "#57606a", borderRight: "1px solid #d0d7de" },
  ".cm-activeLineGutter": { backgroundColor: "#e7edf5", color: "#1f2328" },
  ".cm-activeLine": { backgroundColor: "#f3f7fc" },
  "&.cm-focused": { outline: "none" },
});

/** Mounts an editor in `parent`; returns {getCode, setCode, focus, view}. */
export function createEditor(parent, doc, { onChange, onSubmit, label }) {
  const submitKeys = [
    { key: "Mod-Enter", preventDefault: true, run: () => { onSubmit(); return true; } },
    { key: "Shift-Mod-Enter", preventDefault: true, run: () => { onSubmit(); return true; } },
  ];
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
        python(), theme,
        // tabindex="0" adds no tab stop (contenteditable is focusable anyway) but tells checkers like axe that
        // the scrolling editor is reachable by keyboard.
        EditorView.contentAttributes.of({ "aria-label": label, "aria-describedby": "shortcut", tabindex: "0" }),
        EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
      ],
    }),
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    // One transaction: Ctrl+Z brings the previous code back.
    setCode: (code) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } }),
    focus: () => view.focus(),
  };
}
