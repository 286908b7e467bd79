// The pieces of CodeMirror 6 that RNN Lab's editor uses, bundled into one ES module by ../build.sh.
// static/js/editor.js composes them; keep this list short so the bundle stays small.
export { EditorState, Compartment } from "@codemirror/state";
export {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, drawSelection, dropCursor, rectangularSelection, placeholder,
} from "@codemirror/view";
export { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
export {
  indentOnInput, indentUnit, bracketMatching, foldGutter, foldKeymap,
  syntaxHighlighting, defaultHighlightStyle,
} from "@codemirror/language";
export { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
export { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
export { python } from "@codemirror/lang-python";
