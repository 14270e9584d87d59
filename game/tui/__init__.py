"""The Textual front end: the Handler console.

`app.py` holds `HandlerApp` and `run_console` (what `handler-one play` calls in a terminal);
`screens/` the title, console, dossier, save/load, settings, help, glossary, pause menu and
ending; `widgets/` the radio log, orders, roster, sector map and status line; `messages.py` what
screens ask of the app; `render.py` turns what the engine says into Textual `Content` (never
through markup); `config.py` the player's settings; `themes.py` the game's themes (from
`assets/themes/`); `store.py` how saves are shown. Styles are in the `.tcss` files beside this one.

Nothing here decides anything about the game: the engine does, and the session (game/session.py)
gives its orders and keeps its saves. Imports only go down: the app imports screens, screens
import widgets; a screen never imports the app (`lint-imports` holds it).
"""
