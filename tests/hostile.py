"""A corpus of hostile inputs, run through every form, command and document.

Each value must be stored and shown exactly as typed (surrounding white space trimmed),
or refused with one plain sentence: never a traceback, never a half-saved record.
"""

from datetime import date

HOSTILE_TEXT = {
    "script tag": "<script>alert('x')</script>",
    "html": '<b>bold</b> <img src=x onerror="alert(1)">',
    "markdown": "**not bold** _nor italic_ [link](http://example.org) # heading `code`",
    "quotes": 'O\'Brien "Bob" `tick`',
    "sql": "Robert'); DROP TABLE cases;--",
    "nul": "abc\x00def",
    "escape": "\x1b[31mred\x1b[0m",
    "bell": "ring\x07",
    "newline": "first line\nsecond line",
    "rtl": "שלום עליכם مرحبا",
    "rtl override": "abc\u202edcba",
    "combining": "Zalgo Z\u0324\u0325a\u0333\u0332l\u0330\u0316g\u032b\u033ao e\u0301",
    "emoji": "Ana 👩‍❤️‍👨 🙂",
    "greek and cyrillic": "Σοφία Дмитрий",
    "one megabyte": "x" * 1_000_000,
    "formula equals": '=HYPERLINK("http://example.org","click")',
    "formula plus": "+1+1",
    "formula minus": "-2",
    "formula at": "@SUM(A1:A2)",
    "empty": "",
    "whitespace only": "   \t ",
    "surrounding space": "  Ana  ",
    "backslashes": "C:\\Users\\ana\\notes \\*",
    "percent and underscore": "100% _done_",
}

ABSURD_DATES = {
    "year one": date(1, 1, 1),
    "before 1900": date(1899, 12, 31),
    "far future": date(9999, 12, 31),
}
