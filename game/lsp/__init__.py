"""`handler-one lsp`: a language server for scene files and `story.yaml`.

Nothing in the game imports this package (`lint-imports` holds it): only the `lsp` command does,
so pygls stays off every other command's start-up. The parts:

- `index`: every id in the story's files with its places (declarations and references), read
  from the YAML parser's node tree and driven by the format's own field table;
- `overlay`: the story as the editor sees it, open buffers laid over the files on disk, in a
  folder the real loader and validator read;
- `project`: one story: its overlay, its index and its diagnostics;
- `features`: what completion, hover and the rest answer, as plain data;
- `server`: the pygls glue that speaks the protocol over stdio.
"""
