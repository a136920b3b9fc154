"""``ctxscope decode | sign | crack``: the session-cookie workbench on the command line.

Exit status: 0 done (decoded and, when keys were given, genuine; signed; key found), 1 a
verdict against the token (bad signature, expired; no key found), 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from engine.cli import CommandError
from engine.cookies.crack import Cracker
from engine.cookies.decode import DecodedCookie, Verification, decode
from engine.cookies.errors import CookieError
from engine.cookies.inputs import MAX_LINE
from engine.cookies.render import pretty, to_jsonable
from engine.cookies.sign import resign, sign
from engine.cookies.signing import KEY_DERIVATIONS, SigningSettings
from engine.json_tag import session_json_serializer

__all__ = ["decode_json", "format_key", "parse_tagged_json", "register"]


def _utf8_key(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # undecodable argv bytes come back as-is
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(f"cannot encode key {text!r}") from None


def _hex_key(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not hexadecimal: {text!r}") from None


def _add_signing_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("signer (defaults: Flask's session cookie)")
    group.add_argument(
        "--salt", default=b"cookie-session", type=_utf8_key, help="default: cookie-session"
    )
    group.add_argument("--digest", default="sha1", help="hashlib name (default: sha1)")
    group.add_argument(
        "--key-derivation", default="hmac", choices=KEY_DERIVATIONS, help="default: hmac"
    )
    parser.add_argument(
        "--cookie-name",
        default=None,
        help="cookie to take from a Cookie: line (default: 'session', or the only one)",
    )


def _add_secret_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--secret",
        dest="secrets",
        action="append",
        type=_utf8_key,
        required=required,
        metavar="KEY",
        help="secret key (UTF-8); repeat in Flask's order: fallbacks first, current key last",
    )
    parser.add_argument(
        "--secret-hex",
        dest="secrets",
        action="append",
        type=_hex_key,
        metavar="HEX",
        help="a secret key given as hexadecimal bytes (e.g. an os.urandom key)",
    )


def _settings(args: argparse.Namespace) -> SigningSettings:
    return SigningSettings(salt=args.salt, digest=args.digest, key_derivation=args.key_derivation)


def _read_cookie_arg(value: str) -> str:
    if value != "-":
        return value
    text = sys.stdin.buffer.read(MAX_LINE + 1).decode("latin-1")
    return text.strip()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "decode",
        help="show what a session cookie holds; verify it with --secret",
        description="Decode a Flask session cookie (or any itsdangerous URL-safe token). "
        "COOKIE may be the value, name=value, a Cookie: or Set-Cookie: line, or - for stdin.",
    )
    p.add_argument("cookie", metavar="COOKIE")
    _add_secret_options(p, required=False)
    _add_signing_options(p)
    p.add_argument(
        "--max-age", type=int, default=None, metavar="SECONDS", help="older is 'expired'"
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=run_decode)

    p = subparsers.add_parser(
        "sign",
        help="make a session cookie Flask accepts",
        description='Sign a payload (plain or tagged JSON, e.g. {" t": [1, 2]} for a tuple) '
        "or re-sign an existing cookie with changed keys.",
    )
    _add_secret_options(p, required=False)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--payload", metavar="JSON", help="the session as (tagged) JSON")
    source.add_argument("--from", dest="from_cookie", metavar="COOKIE", help="start from a cookie")
    p.add_argument(
        "--set",
        dest="set_items",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a key; VALUE is (tagged) JSON if it parses, else a string",
    )
    p.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove a key")
    p.add_argument("--timestamp", type=int, default=None, metavar="N", help="default: now")
    p.add_argument("--untimed", action="store_true", help="URLSafeSerializer form, no timestamp")
    _add_signing_options(p)
    p.set_defaults(run=run_sign)

    p = subparsers.add_parser(
        "crack",
        help="audit a cookie's secret key against a wordlist",
        description="Try every line of a wordlist (raw bytes, only the line end removed) as "
        "the secret key that signed COOKIE.",
    )
    p.add_argument("cookie", metavar="COOKIE")
    p.add_argument("--wordlist", required=True, metavar="FILE", help="a file, or - for stdin")
    p.add_argument(
        "--workers", type=int, default=None, metavar="N", help="processes (default: CPU count)"
    )
    _add_signing_options(p)
    p.set_defaults(run=run_crack)


# --- decode -----------------------------------------------------------------------------------


def decode_json(
    decoded: DecodedCookie, verdict: Verification | None, settings: SigningSettings
) -> dict[str, Any]:
    """The ``decode --json`` object; its keys are a stable interface (see the README)."""
    return {
        "payload": decoded.payload_json,
        "payload_tagged": to_jsonable(json.loads(decoded.json_text)),
        "json_text": decoded.json_text,
        "compressed": decoded.compressed,
        "timed": decoded.timed,
        "timestamp": decoded.timestamp,
        "signed_at": decoded.signed_at.isoformat() if decoded.signed_at else None,
        "age_seconds": decoded.age_seconds,
        "signature_hex": decoded.signature_hex,
        "signature_valid": None if verdict is None else verdict.status != "invalid",
        "verdict": None if verdict is None else verdict.status,
        "expired": None if verdict is None else verdict.status == "expired",
        "key_index": None if verdict is None else verdict.key_index,
        "key_is_current": None if verdict is None else verdict.is_current,
        "max_age": None if verdict is None else verdict.max_age,
        "message": "not verified (no key given)" if verdict is None else verdict.message,
        "sizes": {
            "cookie": len(decoded.value),
            "payload_b64": decoded.payload_b64_size,
            "raw": decoded.raw_size,
            "json": decoded.json_size,
            "inflated": decoded.inflated_size,
        },
        "cookie_name": decoded.name,
        "source": decoded.source,
        "attributes": decoded.attributes.to_json() if decoded.attributes else None,
        "settings": settings.to_json(),
    }


def _duration(seconds: int) -> str:
    sign_ = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return sign_ + " ".join(parts)


def _attributes_line(decoded: DecodedCookie) -> str:
    attrs = decoded.attributes
    assert attrs is not None
    out = []
    if attrs.expires_raw is not None:
        when = attrs.expires.strftime("%Y-%m-%d %H:%M:%S UTC") if attrs.expires else "unparsable"
        out.append(f"Expires={attrs.expires_raw} ({when})")
    if attrs.max_age is not None:
        out.append(f"Max-Age={attrs.max_age}")
    for label, value in (
        ("Path", attrs.path),
        ("Domain", attrs.domain),
        ("SameSite", attrs.samesite),
    ):
        if value is not None:
            out.append(f"{label}={value}")
    for label, flag in (
        ("Secure", attrs.secure),
        ("HttpOnly", attrs.httponly),
        ("Partitioned", attrs.partitioned),
    ):
        if flag:
            out.append(label)
    out.extend(name if value is None else f"{name}={value}" for name, value in attrs.other)
    return "; ".join(out) or "(none)"


def format_decoded(
    decoded: DecodedCookie, verdict: Verification | None, settings: SigningSettings
) -> str:
    """The readable ``decode`` report."""
    kind = (
        "URLSafeTimedSerializer (Flask session form)"
        if decoded.timed
        else "URLSafeSerializer (untimed)"
    )
    lines = [f"format       itsdangerous {kind}"]
    if decoded.name is not None:
        lines.append(f"cookie       {decoded.name} (from {decoded.source})")
    if decoded.compressed:
        lines.append(
            f"compression  zlib: {decoded.payload_b64_size} base64 chars -> "
            f"{decoded.raw_size} bytes -> {decoded.json_size} bytes of JSON"
        )
    else:
        lines.append(
            f"compression  none: {decoded.payload_b64_size} base64 chars -> "
            f"{decoded.json_size} bytes of JSON"
        )
    lines.append(f"size         {len(decoded.value)} characters of cookie value")
    lines.append("payload")
    lines.extend("  " + line for line in pretty(decoded.payload, width=94).splitlines())
    if decoded.timed and decoded.signed_at is not None and decoded.age_seconds is not None:
        when = decoded.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        age = decoded.age_seconds
        ago = f"{_duration(age)} ago" if age >= 0 else f"{_duration(-age)} in the future"
        lines.append(f"timestamp    {decoded.timestamp} = {when} ({ago})")
    else:
        lines.append("timestamp    none (untimed token)")
    size = len(decoded.signature)
    note = ""
    if size != settings.digest_size:
        note = f"; {settings.digest} MACs are {settings.digest_size} bytes, so no key can match"
    lines.append(f"signature    {decoded.signature_hex or '(empty)'} ({size} bytes{note})")
    if decoded.attributes is not None:
        lines.append(f"attributes   {_attributes_line(decoded)}")
    salt = settings.to_json()["salt"]
    signer = f"salt {salt!r}, {settings.digest}, {settings.key_derivation} derivation"
    if verdict is None:
        lines.append("verdict      not verified (give --secret KEY to check the signature)")
    else:
        lines.append(f"verdict      {verdict.status.upper()}: {verdict.message} ({signer})")
    return "\n".join(lines)


def run_decode(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        decoded = decode(_read_cookie_arg(args.cookie), cookie_name=args.cookie_name)
        verdict = None
        if args.secrets:
            verdict = decoded.verify(
                args.secrets, settings=settings, max_age=args.max_age, now=_now(decoded)
            )
    except CookieError as exc:
        raise CommandError(f"{exc.reason}: {exc}") from None
    if args.json:
        # ASCII escapes: payload strings may hold lone surrogates, which no stdout can encode.
        print(json.dumps(decode_json(decoded, verdict, settings), allow_nan=False))
    else:
        print(_printable(format_decoded(decoded, verdict, settings)))
    return 0 if verdict is None or verdict.valid else 1


def _printable(text: str) -> str:
    # Names and attributes come from the input as they are; never fail on printing them.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _now(decoded: DecodedCookie) -> int | None:
    # Same clock reading as the age shown: now = timestamp + age.
    if decoded.timestamp is None or decoded.age_seconds is None:
        return None
    return decoded.timestamp + decoded.age_seconds


# --- sign -------------------------------------------------------------------------------------


def parse_tagged_json(text: str, what: str) -> Any:
    """JSON text, with Flask's tags turned into their types ({" t": [...]} is a tuple)."""
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CommandError(f"{what} is not valid JSON ({exc})") from None
    try:
        return session_json_serializer._untag_scan(tree)
    except Exception as exc:  # a tag with unusable content, e.g. {" b": "not base64"}
        raise CommandError(f"{what} has a bad tagged value ({type(exc).__name__}: {exc})") from None


def _set_items(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        if not eq or not key:
            raise CommandError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            json.loads(raw)
        except (ValueError, RecursionError):
            out[key] = raw  # not JSON: a plain string
        else:
            out[key] = parse_tagged_json(raw, f"--set {key}")
    return out


def run_sign(args: argparse.Namespace) -> int:
    if not args.secrets:
        raise CommandError("sign needs --secret KEY (or --secret-hex HEX)")
    secret = args.secrets[-1]
    set_items = _set_items(args.set_items)
    options = {"salt": args.salt, "digest": args.digest, "key_derivation": args.key_derivation}
    try:
        if args.from_cookie is not None:
            if args.untimed:
                raise CommandError("--untimed applies to --payload; --from keeps the cookie's form")
            cookie = resign(
                args.from_cookie,
                secret,
                set_items,
                unset=args.unset,
                timestamp=args.timestamp,
                cookie_name=args.cookie_name,
                **options,
            )
        else:
            payload = parse_tagged_json(args.payload, "--payload")
            if set_items or args.unset:
                if not isinstance(payload, dict):
                    raise CommandError("--set/--unset need a JSON object payload")
                for key in args.unset:
                    payload.pop(key, None)
                payload.update(set_items)
            cookie = sign(
                payload, secret, timestamp=args.timestamp, timed=not args.untimed, **options
            )
    except CookieError as exc:
        raise CommandError(f"{exc.reason}: {exc}") from None
    print(cookie)
    return 0


# --- crack ------------------------------------------------------------------------------------


def format_key(key: bytes) -> str:
    """A found key printed safely: plain when printable UTF-8, else a Python literal."""
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        return f"{key!r} (not UTF-8)"
    if text and text.isprintable() and text == text.strip():
        return text
    return repr(text)


class _Progress:
    """Rate line on a terminal's stderr, redrawn at most every 0.2 s."""

    def __init__(self) -> None:
        self.last = 0.0  # monotonic time of the last redraw
        self.drawn = False  # whether a line needs clearing at the end

    def __call__(self, tried: int, rate: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        self.drawn = True
        sys.stderr.write(f"\rtried {tried:,} candidates ({rate:,.0f}/s)   ")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def run_crack(args: argparse.Namespace) -> int:
    if args.cookie == "-" and args.wordlist == "-":
        raise CommandError("COOKIE and --wordlist cannot both be read from stdin")
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        cracker = Cracker(
            _read_cookie_arg(args.cookie),
            settings=_settings(args),
            workers=args.workers,
            cookie_name=args.cookie_name,
        )
        wordlist = sys.stdin.buffer if args.wordlist == "-" else args.wordlist
        try:
            result = cracker.run(wordlist, progress)
        finally:
            if progress is not None:
                progress.clear()
    except CookieError as exc:
        raise CommandError(f"{exc.reason}: {exc}") from None
    if result.key is not None:
        print(f"found: {format_key(result.key)}")
        if sys.stderr.isatty():
            print(f"({result.tried:,} candidates in {result.elapsed:.2f} s)", file=sys.stderr)
        return 0
    print(f"no key matched ({result.tried} candidates)")
    return 1
