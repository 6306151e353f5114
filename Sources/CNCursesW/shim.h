// ncursesw for Swift: wide characters on, and inline wrappers for what Swift cannot reach (macros, variadic
// functions, and globals that Swift 6 refuses as not concurrency-safe). Only TUICurses imports this.
#ifndef SIPTRUNK_CNCURSESW_H
#define SIPTRUNK_CNCURSESW_H

#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

static inline WINDOW *siptrunk_stdscr(void) { return stdscr; }
static inline int siptrunk_lines(void) { return LINES; }
static inline int siptrunk_cols(void) { return COLS; }
static inline int siptrunk_colors(void) { return COLORS; }
static inline int siptrunk_color_pairs(void) { return COLOR_PAIRS; }

static inline attr_t siptrunk_a_bold(void) { return A_BOLD; }
static inline attr_t siptrunk_a_underline(void) { return A_UNDERLINE; }
static inline attr_t siptrunk_a_reverse(void) { return A_REVERSE; }
static inline attr_t siptrunk_a_dim(void) { return A_DIM; }
static inline attr_t siptrunk_a_normal(void) { return A_NORMAL; }

static inline int siptrunk_key_code_yes(void) { return KEY_CODE_YES; }
static inline int siptrunk_key_f0(void) { return KEY_F0; }
static inline mmask_t siptrunk_button1_clicked(void) { return BUTTON1_CLICKED; }

/// Writes a UTF-8 string at the cursor in the given attributes and colour pair (the printw family is variadic).
static inline int siptrunk_put(int y, int x, const char *text, attr_t attributes, short pair) {
    wattr_set(stdscr, attributes, pair, NULL);
    return mvwaddstr(stdscr, y, x, text);
}

/// Opens a terminal on the given streams, or NULL (never exits the process, unlike initscr).
static inline SCREEN *siptrunk_newterm(const char *type, FILE *out, FILE *in) { return newterm(type, out, in); }
#endif
