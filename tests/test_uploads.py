"""Uploads are checked file by file: a bad file is skipped with its reason, the rest are saved."""

from rag.index.corpus import load_corpus
from rag.index.uploads import Upload, received_uploads, safe_name, save_uploads

MB = 1_000_000


def test_names_are_reduced_to_a_safe_file_name():
    assert safe_name("../../evil.txt") == "evil.txt"
    assert safe_name("..\\..\\windows\\evil.MD") == "evil.md"
    assert safe_name("report <final>?.txt") == "report _final.txt"
    assert safe_name(".bashrc") is None and safe_name("noextension") is None and safe_name("") is None
    assert len(safe_name("a" * 500 + ".txt")) <= 120
    # Letters of any script are a name; invisible format characters are not.
    assert safe_name("Отчёт о сотрудничестве.txt") == "Отчёт о сотрудничестве.txt"
    assert safe_name("报告.md") == "报告.md" and safe_name("a\u202eb.txt") == "a_b.txt"


def test_a_refused_upload_never_shows_a_server_path(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    report = save_uploads([Upload("empty.txt", b"   "), Upload("x" * 100 + ".pdf", b"%PDF-1.4 not really")],
                          folder, {}, 10_000)
    assert len(report.skipped) == 2
    for _, reason in report.skipped:
        assert "/tmp" not in reason and str(tmp_path) not in reason, reason


def test_each_file_gets_a_verdict_and_the_good_ones_are_saved(tmp_path):
    uploads = [
        Upload("good.md", b"# Good\n\nA joint lab opened in Kazan.\n"),
        Upload("../../escape.txt", b"Saved inside the folder, under its own name.\n"),
        Upload("empty.txt", b" \n"),
        Upload("binary.txt", b"\x00\x01\x02" * 100),
        Upload("latin1.txt", "Caf\xe9 in Brn\xf6.".encode("latin-1")),
        Upload("utf16.txt", "Omsk seed bank.".encode("utf-16")),
        Upload("huge.txt", b"x" * (2 * MB)),
        Upload("image.png", b"\x89PNG"),
        Upload(".hidden", b"text"),
    ]
    report = save_uploads(uploads, tmp_path, indexed={}, max_bytes=MB)
    assert [name for name, _ in report.saved] == ["good.md", "escape.txt", "latin1.txt", "utf16.txt"]
    reasons = dict(report.skipped)
    assert "no text" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "over the upload limit" in reasons["huge.txt"] and "RAG_MAX_UPLOAD_MB" in reasons["huge.txt"]
    assert "unsupported" in reasons["image.png"] and "no usable name" in reasons[".hidden"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escape.txt", "good.md", "latin1.txt", "utf16.txt"]
    assert not load_corpus(tmp_path).skipped  # nothing unreadable was left in the corpus folder


def test_an_upload_never_replaces_a_different_document(tmp_path):
    (tmp_path / "note.txt").write_text("The original note.\n")
    doc = load_corpus(tmp_path).documents[0]
    indexed = {"note": doc.content_hash, "other": "0123"}
    report = save_uploads([Upload("note.txt", b"A different note.\n"), Upload("note.txt", b"The original note.\n"),
                           Upload("other.md", b"Another document under an indexed id.\n")],
                          tmp_path, indexed, max_bytes=MB)
    assert report.saved == []
    assert "never replaces" in report.skipped[0][1] and "already indexed" in report.skipped[1][1]
    assert "never replaces" in report.skipped[2][1]
    assert (tmp_path / "note.txt").read_text() == "The original note.\n"


def test_a_file_read_at_the_limit_reports_its_real_size(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 600_000)
    upload = Upload.from_file("big.txt", big, max_bytes=MB)
    assert len(upload.data) == MB + 1 and upload.size == 3 * MB
    assert "3.0 MB" in save_uploads([upload], tmp_path / "corpus", {}, MB).skipped[0][1]


def test_only_files_in_the_front_ends_upload_folder_are_read(tmp_path):
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "secrets"
    inbox.mkdir()
    elsewhere.mkdir()
    (inbox / "note.txt").write_text("An uploaded note.")
    (elsewhere / "passwd.txt").write_text("root:x:0:0")
    received, refused = received_uploads([str(inbox / "note.txt"), str(elsewhere / "passwd.txt"),
                                          str(inbox / "missing.txt")], inbox, max_bytes=1000)
    assert [(u.name, u.data) for u in received] == [("note.txt", b"An uploaded note.")]
    assert refused == [("passwd.txt", "not a file that was uploaded"), ("missing.txt", "not a file that was uploaded")]
