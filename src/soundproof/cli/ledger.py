"""``soundproof ledger``: the provenance log, its checkpoints, proofs and keys.

A thin shell over :class:`soundproof.ledger.Ledger` and the key ring. Output meant
for scripts is JSON on stdout (entries, proofs, claims, reports); notes and keys are
printed in their own text formats; remarks go to stderr.

Exit codes: 0 success; 1 *verification failed* (``verify``, ``verify-attestation``,
``verify-checkpoint``: something is forged, corrupt or inconsistent); 2 usage error
or unusable input (a missing or malformed JWKS, no ledger, no key); 3 a bug.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from soundproof.cli.common import (
    EXIT_OK,
    DebugOption,
    cli_command,
    debug_enabled,
    print_error,
)
from soundproof.config import get_settings
from soundproof.errors import UsageError
from soundproof.ledger.errors import VerificationError

EXIT_VERIFY_FAILED = 1
"""Verification ran and failed: a signature, proof, claim, leaf, node or checkpoint is bad."""

VERIFY_EXIT_HELP = (
    "Exit codes: 0 verified; 1 verification failed (each problem is named); "
    "2 unusable input (e.g. an unreadable or malformed JWKS)."
)

ledger_app = typer.Typer(
    name="ledger",
    help=(
        "The provenance ledger: an append-only Merkle log (RFC 9162) with signed "
        "checkpoints, inclusion and consistency proofs, and Ed25519 keys."
    ),
    no_args_is_help=True,
)
keys_app = typer.Typer(
    name="keys",
    help="Signing keys: generate, rotate (old keys keep verifying), list, export.",
    no_args_is_help=True,
)
ledger_app.add_typer(keys_app, name="keys")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Ledger database URL (default: SOUNDPROOF_LEDGER_DATABASE, or ledger.db in "
        "SOUNDPROOF_HOME).",
    ),
]
JwksOption = Annotated[
    Path,
    typer.Option("--jwks", help="JWKS file with the issuer's public keys.", dir_okay=False),
]


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _note(message: str) -> None:
    typer.echo(message, err=True)


def _verification_failed(exc: VerificationError, debug: bool) -> NoReturn:
    if debug_enabled(debug):
        raise exc
    print_error(str(exc))
    raise typer.Exit(EXIT_VERIFY_FAILED)


def _open(database: str | None, *, create: bool = False) -> Any:
    from soundproof.ledger import Ledger

    return Ledger.open(database, create=create)


def _read_input(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None


# -- the log ----------------------------------------------------------------------------


@ledger_app.command()
@cli_command
def append(
    source: Annotated[
        str, typer.Argument(help="File whose bytes become one entry, or - for stdin.")
    ] = "-",
    lines: Annotated[
        bool, typer.Option("--lines", help="Each non-empty line is an entry (one batch).")
    ] = False,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Append an entry (or one per line); print each one's index and leaf hash as JSON.

    The entry is durable when its line is printed. Creates the ledger if needed.
    """
    data = _read_input(source)
    items = [line for line in data.splitlines() if line.strip()] if lines else [data]
    if not items or not any(items):
        raise UsageError("nothing to append: the input is empty")
    with _open(database, create=True) as ledger:
        for entry in ledger.append_many(items):
            typer.echo(json.dumps({"index": entry.index, "leaf_hash": entry.leaf_hash.hex()}))


@ledger_app.command()
@cli_command
def show(
    index: Annotated[
        int | None, typer.Argument(help="Entry to show; without it, the log's head.", min=0)
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Write the entry's bytes as they are, nothing else.")
    ] = False,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Show an entry (JSON: index, leaf hash, the record or the bytes), or the log head."""
    import base64

    from soundproof.ledger import LedgerError, decode_record

    with _open(database) as ledger:
        if index is None:
            head = ledger.head()
            latest = ledger.latest_checkpoint()
            _echo_json(
                {
                    "origin": head.origin,
                    "size": head.size,
                    "root": head.root.hex(),
                    "checkpoints": ledger.count_checkpoints(),
                    "latest_checkpoint": None
                    if latest is None
                    else {"id": latest.id, "size": latest.size, "root": latest.root.hex()},
                    "database": ledger.url,
                }
            )
            return
        leaf = ledger.leaf(index)
    if raw:
        sys.stdout.buffer.write(leaf.data)
        sys.stdout.buffer.flush()
        return
    shown: dict[str, Any] = {"index": leaf.index, "leaf_hash": leaf.leaf_hash.hex()}
    try:
        shown["record"] = decode_record(leaf.data)
    except LedgerError:
        shown["data_base64"] = base64.b64encode(leaf.data).decode("ascii")
    _echo_json(shown)


@ledger_app.command()
@cli_command
def prove(
    index: Annotated[int, typer.Argument(help="Entry to prove.", min=0)],
    size: Annotated[
        int | None, typer.Option("--size", help="Tree size to prove against (default: now).")
    ] = None,
    checkpoint: Annotated[
        bool,
        typer.Option(
            "--checkpoint",
            help="Prove against the latest signed checkpoint and include its note, so "
            "that `verify-attestation --proof` can check it offline.",
        ),
    ] = False,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Print the inclusion proof (audit path) of entry INDEX as JSON (hashes in hex)."""
    with _open(database) as ledger:
        proof = ledger.prove(index, size, checkpoint=checkpoint)
    _echo_json(proof.to_json())


@ledger_app.command()
@cli_command
def consistency(
    old: Annotated[int, typer.Argument(help="The older tree size.", min=0)],
    new: Annotated[int | None, typer.Argument(help="The newer tree size (default: now).")] = None,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Print the proof that the tree of size NEW extends the one of size OLD, as JSON."""
    with _open(database) as ledger:
        proof = ledger.consistency(old, new)
    _echo_json(proof.to_json())


@ledger_app.command("checkpoint")
@cli_command
def checkpoint_command(
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Sign the current tree head (a C2SP checkpoint), store it and print the note."""
    with _open(database) as ledger:
        stored = ledger.checkpoint()
    sys.stdout.write(stored.note)
    sys.stdout.flush()


@ledger_app.command(
    help="Recompute the whole log and check every stored hash and checkpoint.\n\n"
    "Each problem is printed on its own line, naming the leaf, node or checkpoint. "
    f"{VERIFY_EXIT_HELP}"
)
@cli_command
def verify(
    jwks: Annotated[
        Path | None,
        typer.Option(
            "--jwks",
            help="Check checkpoint signatures with these public keys (default: the key ring).",
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Recompute the whole log and check every stored hash and checkpoint."""
    from soundproof.ledger import load_jwks

    keys = load_jwks(jwks) if jwks is not None else None
    with _open(database) as ledger:
        report = ledger.verify(keys)
    if as_json:
        _echo_json(report.to_json())
    else:
        for problem in report.problems:
            typer.echo(f"problem: {problem}")
        if report.omitted:
            typer.echo(f"problem: ... and {report.omitted} more")
        state = "ok" if report.ok else "FAILED"
        typer.echo(
            f"{state}: {report.size} entries, {report.nodes_checked} nodes, "
            f"{report.checkpoints_checked} checkpoints; root {report.root.hex()}"
        )
    raise typer.Exit(EXIT_OK if report.ok else EXIT_VERIFY_FAILED)


@ledger_app.command(
    "verify-attestation",
    help="Verify an attestation token offline, with only the issuer's JWKS.\n\n"
    "Never opens the ledger database. Prints the verified claims as JSON. With --proof "
    "(from `prove INDEX --checkpoint`), also checks that the attested entry is in the "
    f"log at a checkpoint signed by the same keys. {VERIFY_EXIT_HELP}",
)
@cli_command
def verify_attestation_command(
    token: Annotated[str, typer.Argument(help="The compact JWS, or - to read it from stdin.")],
    jwks: JwksOption,
    proof: Annotated[
        Path | None,
        typer.Option("--proof", help="Inclusion proof JSON with its checkpoint.", dir_okay=False),
    ] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Require this iss claim.")] = None,
    debug: DebugOption = False,
) -> None:
    """Verify an attestation token offline, with only the issuer's JWKS."""
    from soundproof.ledger import InclusionProof, load_jwks, verify_attestation

    keys = load_jwks(jwks)
    text = sys.stdin.read() if token == "-" else token
    bundle = None
    if proof is not None:
        try:
            document = json.loads(proof.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the proof {proof}: {exc}") from None
        try:
            bundle = InclusionProof.from_json(document)
        except VerificationError as exc:
            raise UsageError(f"{proof} is not an inclusion proof: {exc}") from None
    try:
        verified = verify_attestation(text.strip(), keys, issuer=issuer, proof=bundle)
    except VerificationError as exc:
        _verification_failed(exc, debug)
    _echo_json(verified.claims)
    where = (
        f"; entry {verified.claims['log_index']} is in the log at checkpoint size "
        f"{verified.checkpoint.size}"
        if verified.checkpoint is not None
        else ""
    )
    _note(f"verified: signed by key {verified.kid}{where}")


@ledger_app.command(
    "verify-checkpoint",
    help="Verify a signed checkpoint note offline (JWKS or vkey) and print it as JSON.\n\n"
    f"{VERIFY_EXIT_HELP}",
)
@cli_command
def verify_checkpoint_command(
    note: Annotated[str, typer.Argument(help="File with the checkpoint note, or - for stdin.")],
    jwks: Annotated[
        Path | None,
        typer.Option("--jwks", help="JWKS file with the log's public keys.", dir_okay=False),
    ] = None,
    vkey: Annotated[
        list[str] | None,
        typer.Option("--vkey", help="A signed-note verifier key (repeatable)."),
    ] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="Require this log origin.")] = None,
    debug: DebugOption = False,
) -> None:
    """Verify a signed checkpoint note offline and print it as JSON."""
    from soundproof.ledger import (
        NoteVerifier,
        load_jwks,
        open_checkpoint,
        open_checkpoint_with_keys,
    )

    if jwks is None and not vkey:
        raise UsageError("give the log's keys: --jwks FILE or --vkey KEY")
    text = _read_input(note).decode("utf-8", errors="replace")
    try:
        verifiers = [NoteVerifier.from_vkey(value) for value in vkey or ()]
    except VerificationError as exc:
        raise UsageError(f"bad --vkey: {exc}") from None
    try:
        if jwks is not None:
            checkpoint = open_checkpoint_with_keys(text, load_jwks(jwks), origin=origin)
        else:
            checkpoint = open_checkpoint(text, verifiers, origin=origin)
    except VerificationError as exc:
        _verification_failed(exc, debug)
    _echo_json(
        {"origin": checkpoint.origin, "size": checkpoint.size, "root": checkpoint.root.hex()}
    )


# -- keys ---------------------------------------------------------------------------------


def _ring() -> Any:
    from soundproof.ledger import KeyRing

    return KeyRing.from_settings(get_settings())


def _warn_if_configured() -> None:
    settings = get_settings()
    if settings.signing_key is not None or settings.signing_key_file is not None:
        _note(
            "note: SOUNDPROOF_SIGNING_KEY or SOUNDPROOF_SIGNING_KEY_FILE is set; "
            "that key signs, not the ring's"
        )


@keys_app.command()
@cli_command
def generate(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write a standalone key file (mode 0600) instead of starting the key ring, "
            "e.g. for SOUNDPROOF_SIGNING_KEY_FILE.",
            dir_okay=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Create the first signing key of the key ring (or a standalone key file); print its kid."""
    from soundproof.ledger import SigningKey
    from soundproof.ledger.keys import write_private_key_file

    if out is not None:
        key = SigningKey.generate()
        write_private_key_file(out, key)
        typer.echo(key.kid)
        _note(f"wrote {out} (mode 0600); keep it secret")
        return
    ring = _ring()
    key = ring.generate()
    typer.echo(key.kid)
    _note(f"new active key in {ring.folder}")
    _warn_if_configured()


@keys_app.command()
@cli_command
def rotate(debug: DebugOption = False) -> None:
    """Make a new active key; the old one is retired (its public part keeps verifying).

    The retired private key is deleted: it can never sign again.
    """
    ring = _ring()
    key, retired = ring.rotate()
    typer.echo(key.kid)
    _note(f"new active key {key.kid}; retired {retired.kid} (its public key is kept)")
    _warn_if_configured()


@keys_app.command("list")
@cli_command
def list_keys(debug: DebugOption = False) -> None:
    """List the keys: kid, status (active, retired, configured), created, retired."""
    from soundproof.ledger.keyring import configured_key

    entries = _ring().entries()
    configured = configured_key(get_settings())
    if not entries and configured is None:
        _note("no keys: run `soundproof ledger keys generate`")
        return
    for entry in entries:
        status = "active" if entry.active else "retired"
        if configured is not None and entry.active:
            status = "ring-active"
        typer.echo(f"{entry.kid}  {status:<11}  {entry.created}  {entry.retired or '-'}")
    if configured is not None:
        typer.echo(f"{configured.kid}  {'configured':<11}  -  -")


@keys_app.command()
@cli_command
def jwks(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout.", dir_okay=False),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Export every public key (active and retired) as a JWKS, for offline verifiers."""
    from soundproof.ledger import build_jwks, known_public_keys

    keys = known_public_keys(get_settings())
    if not keys:
        raise UsageError("no keys to export: run `soundproof ledger keys generate`")
    text = json.dumps(build_jwks(keys), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    _note(f"wrote {len(keys)} keys to {output}")


@keys_app.command()
@cli_command
def vkey(
    name: Annotated[
        str | None,
        typer.Option("--name", help="Key name (default: the ledger's origin)."),
    ] = None,
    database: DatabaseOption = None,
    debug: DebugOption = False,
) -> None:
    """Print each public key as a signed-note verifier key (name+keyid+key), one a line."""
    from soundproof.ledger import known_public_keys
    from soundproof.ledger import vkey as make_vkey

    keys = known_public_keys(get_settings())
    if not keys:
        raise UsageError("no keys to export: run `soundproof ledger keys generate`")
    if name is None:
        with _open(database) as ledger:
            name = ledger.origin
    for key in keys:
        typer.echo(make_vkey(name, key))


__all__ = ["EXIT_VERIFY_FAILED", "keys_app", "ledger_app"]
