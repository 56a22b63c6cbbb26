"""Screen rows the REPL's prompt keeps for itself: the session reserves them, `list` leaves them."""

from __future__ import annotations

# Lines the prompt keeps free below itself for the completion menu, the prompt line included.
MENU_ROWS = 6
# The prompt's share of the screen: the menu space (prompt line included) and the toolbar.
PROMPT_ROWS = MENU_ROWS + 1
