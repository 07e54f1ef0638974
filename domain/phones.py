"""Phone numbers in E.164: "+", a country calling code, the subscriber number; 7-15 digits.

The country calling codes are the ones the ITU has assigned to countries and territories (as
libphonenumber's metadata lists them), plus the international mobile and satellite networks
(870, 881, 882, 883). Left out: unassigned codes (e.g. +0, +28x, +999) and the non-geographic
services nobody can top up (800 freephone, 808 shared cost, 878 UPT, 888 OCHA, 979 premium
rate). Lengths per country are not checked: operators' number plans change faster than a
static table, and the provider refuses a number it does not serve.
"""

from __future__ import annotations

import re

COUNTRY_CALLING_CODES = frozenset(
    int(code)
    for code in """
    1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62
    63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 220 221 222 223 224 225 226
    227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249
    250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298
    299 350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382
    383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594
    595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689
    690 691 692 850 852 853 855 856 870 880 881 882 883 886 960 961 962 963 964 965 966 967 968
    970 971 972 973 974 975 976 977 992 993 994 995 996 998
    """.split()
)
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def country_calling_code(phone: str) -> int | None:
    """The assigned country calling code `phone` starts with (codes are prefix-free)."""
    for length in (1, 2, 3):
        code = int(phone[1 : 1 + length])
        if code in COUNTRY_CALLING_CODES:
            return code
    return None


def e164_problem(phone: str) -> str | None:
    """Why `phone` is not a usable E.164 number, in words a partner can act on; None if it is."""
    if not _E164.fullmatch(phone):
        return "not an E.164 phone number: '+', country code and number, 7 to 15 digits, nothing else"
    if country_calling_code(phone) is None:
        return "not an E.164 phone number: no country uses this country calling code"
    return None
