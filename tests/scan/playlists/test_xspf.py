"""XSPF: metadata and ISRC identifiers, URI locations, hostile and broken XML."""

from __future__ import annotations

from pathlib import Path

from .helpers import only_error, read

XSPF = """<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <title>Road trip</title>
  <creator>Playlist author, not a track artist</creator>
  <trackList>
    <track>
      <location>b%20c.wav</location>
      <location>https://mirror.example.org/alternative.mp3</location>
      <title>One More Time</title>
      <creator>Daft Punk &amp; Friends</creator>
      <identifier>https://musicbrainz.org/recording/0f0c2d6e</identifier>
      <identifier>isrc:GB-AYE-69-00531</identifier>
      <album>Discovery</album>
    </track>
    <track>
      <location>{music_uri}/sub/d.wav</location>
      <identifier>urn:isrc:usrc17607839</identifier>
    </track>
    <track>
      <location>https://cdn.example.org/preview.mp3</location>
      <title>Remote</title>
    </track>
    <track>
      <title>Nowhere</title>
    </track>
  </trackList>
</playlist>
"""


def test_xspf_metadata_round_trip(music: Path) -> None:
    playlist = music / "trip.xspf"
    playlist.write_text(XSPF.format(music_uri=music.as_uri()), encoding="utf-8")
    sources = read(playlist)
    assert [(s.path, s.title, s.artist, s.isrc, s.position) for s in sources[:3]] == [
        (str(music / "b c.wav"), "One More Time", "Daft Punk & Friends", "GBAYE6900531", 1),
        (str(music / "sub" / "d.wav"), None, None, "USRC17607839", 2),
        ("https://cdn.example.org/preview.mp3", "Remote", None, None, 3),
    ]
    assert [s.error is None for s in sources] == [True, True, True, False]
    assert sources[3].error is not None and "no <location>" in sources[3].error
    assert sources[3].title == "Nowhere" and sources[3].position == 4
    assert {(s.platform, s.source, s.playlist) for s in sources} == {
        ("xspf", str(playlist), "Road trip")
    }


def test_xspf_without_namespace_and_in_latin1(music: Path) -> None:
    playlist = music / "old.xspf"
    playlist.write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        "<playlist><trackList><track><location>a.wav</location><title>Café</title>"
        "</track></trackList></playlist>".encode("latin-1")
    )
    [source] = read(playlist)
    assert (source.path, source.title) == (str(music / "a.wav"), "Café")


def test_entity_bombs_and_external_entities_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me", encoding="utf-8")
    bomb = tmp_path / "bomb.xspf"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE playlist [\n<!ENTITY a "aaaaaaaaaa">\n'
        + "".join(
            f'<!ENTITY {n} "{("&" + p + ";") * 10}">\n'
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]>\n<playlist><trackList><track><title>&i;</title><location>x.wav</location>"
        "</track></trackList></playlist>",
        encoding="utf-8",
    )
    assert "declares an entity" in only_error(read(bomb))
    external = tmp_path / "external.xspf"
    external.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE playlist [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        "<playlist><trackList><track><location>&x;</location></track></trackList></playlist>",
        encoding="utf-8",
    )
    message = only_error(read(external))
    assert "declares an entity" in message and "do not read me" not in message


def test_invalid_xml_and_wrong_root(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xspf"
    broken.write_text(
        "<playlist><trackList><track><location>a.wav</location></track>"
        "<track><location>b.wav</oops></track></trackList></playlist>",
        encoding="utf-8",
    )
    sources = read(broken)
    assert [s.path for s in sources[:1]] == [str(tmp_path / "a.wav")]
    assert sources[-1].error is not None and "not valid XML" in sources[-1].error
    assert "line 1" in sources[-1].error

    wrong = tmp_path / "rss.xspf"
    wrong.write_text("<rss><channel/></rss>", encoding="utf-8")
    assert "root element is <rss>" in only_error(read(wrong))
    empty = tmp_path / "empty.xspf"
    empty.write_bytes(b"")
    assert only_error(read(empty))
