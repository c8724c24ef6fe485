"""The Word writer: each part a section in the frame of Nghị định 30/2020/NĐ-CP.

Times New Roman everywhere (document defaults and every style, no theme fonts), proofing
language vi-VN, A4 with the decree's margins (top and bottom 20 mm, left 30 mm, right 15 mm) in
the part's orientation, page numbers centred in the header from the second page of each part,
and the check code in the footer. Tables are written as WordprocessingML because python-docx's
cell API is slow; their rows never split, the header rows repeat on each page, number cells do
not wrap, and the last rows of the last table stay on the page of the signature block.

python-docx gives the package (styles, settings, properties, relationships); the body and the
headers and footers are written here as text, in the form lxml serializes them, because building
them object by object costs far more than the text they carry.

A province's sheets hold some two hundred thousand cells, so a cell carries as little as Word
needs: its width, shading and wrapping, and one paragraph style (TABLE_STYLE or a style based on
it, per alignment, weight and indent, see _CellStyles) instead of repeating those properties.
Only the first section has headers (later sections inherit them, as Word's "same as previous");
each section has its own footers, the check code of its part.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache

from engine.render.reports.document import (
    Closing,
    Column,
    Heading,
    Letterhead,
    Paragraph,
    Part,
    Row,
    Table,
    Total,
    clean_text,
    memo_value,
    xml_text,
)
from engine.render.reports.office import (
    FILLS,
    FIXED_STAMP,
    FONT,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_LABEL,
    cell_text,
    is_number,
    recipient_lines,
    Entries,
    stable_archive,
)

LANGUAGE = "vi-VN"
PAGE = {"portrait": (21.0, 29.7), "landscape": (29.7, 21.0)}
MARGINS_CM = {"top": 2.0, "bottom": 2.0, "left": 3.0, "right": 1.5}
BODY_PT, TABLE_PT, TITLE_PT, SMALL_PT = 13, 10.5, 14, 9
TABLE_STYLE = "Bang"
KEEP_ROWS = 2
"""Rows at the end of the last table kept on the page of the signature block."""
_TWIPS_PER_CM = 567


def text_width_cm(text: str, size_pt: float, bold: bool = False) -> float:
    """An estimate of a line's printed width in Times New Roman, to size the decree's rule lines."""
    em = 0.0
    for char in text:
        if char == " ":
            em += 0.25
        elif char.isupper():
            em += 0.70
        elif char.isdigit():
            em += 0.50
        elif char.isalpha():
            em += 0.47
        else:
            em += 0.33
    return em * size_pt * (1.05 if bold else 1.0) / 72 * 2.54


def text_width(orientation: str) -> float:
    return PAGE[orientation][0] - MARGINS_CM["left"] - MARGINS_CM["right"]


def to_docx(parts: list[Part], stamp: datetime = FIXED_STAMP, title: str = "") -> bytes:
    """One section per part, each starting on a new page in its own orientation."""
    if not parts:
        return stable_archive(_package_entries(_document(title, stamp)), stamp)
    package, relationships = _package()
    title_xml = xml_text(clean_text(title), carriage_return="&#13;").encode()  # as lxml writes the title
    stories = _Stories(relationships)
    styles = _CellStyles()
    chunks: list[bytes] = []  # UTF-8 as drawn: the tables' cells are encoded once each (memoised)
    memos: dict = {}
    previous = ""
    ends: list[int] = []  # where the body's parts (sections) end in chunks
    for number, part in enumerate(parts):
        if number:
            ends.append(len(chunks))
            chunks.append(f"<w:p><w:pPr>{previous}</w:pPr></w:p>".encode())
        references = stories.add(part)
        opening, rest = _section_xml(part.orientation)
        previous = "<w:sectPr>" + references + rest
        last = opening + references + rest
        width = text_width(part.orientation)
        if part.letterhead is not None:
            chunks.append(_letterhead(part.letterhead, width).encode())
        blocks = [b for b in part.blocks if "docx" in b.formats]
        closing_inside = part.closing is not None and bool(blocks) and isinstance(blocks[-1], Table)
        for index, block in enumerate(blocks):
            keep = closing_inside and index == len(blocks) - 1
            if isinstance(block, Heading):
                chunks.append(_paragraph_xml(block.text, size=BODY_PT, bold=True, keep_next=True,
                                             space_before=6).encode())
            elif isinstance(block, Paragraph):
                chunks.append(_paragraph_xml(block.text, size=BODY_PT, italic=block.italic,
                                             align="center" if block.center else "both",
                                             keep_next=index + 1 == len(blocks)).encode())
            elif isinstance(block, Table):
                _table_xml(block, width, memos, styles, chunks, closing=part.closing if keep else None)
                chunks.append(_paragraph_xml("", size=6).encode())
        if part.closing is not None and not closing_inside:
            chunks.append(_closing_xml(part.closing, width).encode())
    chunks.append(last.encode())
    ends.append(len(chunks))
    cell_styles = styles.xml().encode()

    def with_body(payload: bytes) -> Iterator[bytes]:
        """python-docx's document part with the body drawn here, a part of the body at a time (tens of megabytes
        are never joined: each part is compressed while it is in the processor's cache)."""
        head, tail = payload.split(b"<w:body/>", 1)
        yield head + b"<w:body>"
        start = 0
        for end in ends:
            yield b"".join(chunks[start:end])
            start = end
        yield b"</w:body>" + tail

    return stable_archive([*package, *stories.entries], stamp,
                          {"word/document.xml": with_body,
                           "docProps/core.xml": lambda payload: payload.replace(_TITLE_MARK.encode(), title_xml, 1),
                           "word/styles.xml": lambda payload: payload.replace(b"</w:styles>", cell_styles + b"</w:styles>"),
                           **stories.rewrite}, store_below=STORE_BELOW)


STORE_BELOW = 1024
"""Archive entries shorter than this are stored, not deflated: setting up a deflate stream costs more than the
few hundred bytes of a footer save (a province's document has hundreds of footers)."""


def _document(title: str, stamp: datetime):
    """python-docx's document with this writer's styles and properties."""
    from docx import Document
    document = Document()
    _styles(document)
    props = document.core_properties
    props.author = props.last_modified_by = "parindex"
    props.title = clean_text(title)
    props.language = LANGUAGE
    props.created = props.modified = stamp
    props.revision = 1
    return document


_TITLE_MARK = "parindex-document-title"
"""Where the title goes in the core properties of the shared package (see _package)."""


@cache
def _package() -> tuple[tuple[tuple[str, bytes], ...], frozenset[str]]:
    """The package of a document without body, stories, cell styles or title, and the relationship ids it uses:
    the same for every document (stable_archive sets the dates), built once per process: python-docx takes longer
    to build it than a plan takes to draw. See prepare."""
    document = _document(_TITLE_MARK, FIXED_STAMP)
    body = document.element.body
    for child in list(body):
        body.remove(child)
    return tuple(_package_entries(document)), frozenset(document.part.rels)


def prepare() -> None:
    """Build what every Word file shares now (before forking workers that draw: they inherit it)."""
    _package()


def _package_entries(document) -> list[tuple[str, bytes]]:
    """What Document.save writes (python-docx's OpcPackage.save), as archive entries in its order."""
    from docx.opc.pkgwriter import PackageWriter
    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    entries = Entries()
    PackageWriter._write_content_types_stream(entries, package.parts)
    PackageWriter._write_pkg_rels(entries, package.rels)
    PackageWriter._write_parts(entries, package.parts)
    return entries.items


class _Stories:
    """The header and footer parts of the sections, written as archive entries beside python-docx's package.

    The first section gets the two headers (page number; empty on the first page), which the later
    sections inherit; each section gets its two footers (the check code of its part, on the first
    page and the others). Relationship ids are the lowest unused ones, as python-docx picks them.
    """

    def __init__(self, used: frozenset[str]):
        self.used = set(used)
        self.candidate = 1
        self.entries: list[tuple[str, bytes]] = []
        self.relationships: list[str] = []
        self.overrides: list[str] = []
        self.counts = {"header": 0, "footer": 0}

    @property
    def rewrite(self) -> dict:
        """The package's content types and the document's relationships, completed with the stories."""
        overrides, relationships = "".join(self.overrides).encode(), "".join(self.relationships).encode()
        return {"[Content_Types].xml": lambda payload: payload.replace(b"</Types>", overrides + b"</Types>", 1),
                "word/_rels/document.xml.rels":
                    lambda payload: payload.replace(b"</Relationships>", relationships + b"</Relationships>", 1)}

    def _rid(self) -> str:
        """The lowest unused relationship id, as python-docx picks it."""
        while f"rId{self.candidate}" in self.used:
            self.candidate += 1
        self.used.add(f"rId{self.candidate}")
        return f"rId{self.candidate}"

    def _story(self, kind: str, placement: str, xml: str) -> str:
        self.counts[kind] += 1
        name = f"{kind}{self.counts[kind]}.xml"
        opening, closing = _story_frame(kind)
        self.entries.append((f"word/{name}", opening + xml.encode("utf-8") + closing))
        rid = self._rid()
        self.relationships.append(f'<Relationship Id="{rid}" Type="{_STORY_TYPES[kind][0]}" Target="{name}"/>')
        self.overrides.append(f'<Override PartName="/word/{name}" ContentType="{_STORY_TYPES[kind][1]}"/>')
        return f'<w:{kind}Reference w:type="{placement}" r:id="{rid}"/>'

    def add(self, part: Part) -> str:
        """The references of a part's section: its footers, and for the first section the headers."""
        references = ""
        if not self.counts["header"]:
            references += self._story("header", "default", _page_number_xml())
            references += self._story("header", "first", _paragraph_xml("", size=SMALL_PT))
        footer_text = f"Mã kiểm tra: {part.check_code}" if part.check_code else ""
        footer = _paragraph_xml(footer_text, size=SMALL_PT, italic=True, align="right")
        references += self._story("footer", "default", footer)
        return references + self._story("footer", "first", footer)


_STORY_TYPES = {
    "header": ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/header",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"),
    "footer": ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"),
}


def _story_frame(kind: str) -> tuple[bytes, bytes]:
    """The XML declaration and root element of a header or footer, around the content (only the main namespace:
    the stories hold text and fields)."""
    tag = "hdr" if kind == "header" else "ftr"
    return (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            b'<w:' + tag.encode() + b' xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">',
            b"</w:" + tag.encode() + b">")


@cache
def _section_xml(orientation: str) -> tuple[str, str]:
    """A section's properties as python-docx writes them for this writer's page: the opening tag of the last
    section's properties (the template's) and everything after the header and footer references."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm
    from lxml import etree
    section = Document().sections[0]
    width, height = PAGE[orientation]
    section.orientation = WD_ORIENT.LANDSCAPE if orientation == "landscape" else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(width), Cm(height)
    section.top_margin, section.bottom_margin = Cm(MARGINS_CM["top"]), Cm(MARGINS_CM["bottom"])
    section.left_margin, section.right_margin = Cm(MARGINS_CM["left"]), Cm(MARGINS_CM["right"])
    section.header_distance = section.footer_distance = Cm(1.0)
    section.different_first_page_header_footer = True
    sect = section._sectPr
    for old in sect.findall(qn("w:pgNumType")):
        sect.remove(old)
    sect.append(parse_xml(f'<w:pgNumType {nsdecls("w")} w:start="1"/>'))
    text = etree.tostring(sect.getparent().getparent(), encoding="unicode")
    text = text[text.index("<w:sectPr"):text.index("</w:sectPr>") + len("</w:sectPr>")]
    opening = text[:text.index(">") + 1]
    return opening, text[len(opening):]


# ---------------------------------------------------------------- styles and pages


def _fonts_xml() -> str:
    return (f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>')


def _lang_xml() -> str:
    return f'<w:lang w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}" w:bidi="ar-SA"/>'


def _styles(document) -> None:
    """Times New Roman and vi-VN in the document defaults and every style; no theme fonts or colours left."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        styles.remove(defaults)
    styles.insert(0, parse_xml(
        f'<w:docDefaults {nsdecls("w")}><w:rPrDefault><w:rPr>{_fonts_xml()}<w:sz w:val="{BODY_PT * 2}"/>'
        f'<w:szCs w:val="{BODY_PT * 2}"/>{_lang_xml()}</w:rPr></w:rPrDefault>'
        f'<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
        f'</w:docDefaults>'))
    for style in styles.findall(qn("w:style")):
        rpr = style.find(qn("w:rPr"))
        if rpr is None:
            rpr = parse_xml(f'<w:rPr {nsdecls("w")}/>')
            style.append(rpr)
        for tag in ("w:rFonts", "w:lang", "w:color"):
            for old in rpr.findall(qn(tag)):
                rpr.remove(old)
        rpr.insert(0, parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" '
                                f'w:cs="{FONT}"/>'))
        rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}" w:bidi="ar-SA"/>'))
    for fonts in styles.iter(qn("w:rFonts")):  # table styles carry theme fonts in their conditional parts
        for attribute in list(fonts.attrib):
            del fonts.attrib[attribute]
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), FONT)
    table_text = document.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = document.styles["Normal"]
    rpr = table_text.element.get_or_add_rPr()
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{int(TABLE_PT * 2)}"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{int(TABLE_PT * 2)}"/>'))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}" w:bidi="ar-SA"/>'))
    settings = document.settings.element
    settings.append(parse_xml(f'<w:themeFontLang {nsdecls("w")} w:val="{LANGUAGE}"/>'))


def _page_number_xml() -> str:
    run = f'<w:rPr><w:sz w:val="{BODY_PT * 2}"/></w:rPr>'
    return ('<w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
            f'<w:r>{run}<w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r>{run}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
            f'<w:r>{run}<w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r>{run}<w:t>2</w:t></w:r>'
            f'<w:r>{run}<w:fldChar w:fldCharType="end"/></w:r></w:p>')


# ---------------------------------------------------------------- paragraphs


def _escape(text: str) -> str:
    """Text as lxml writes it (see xml_text)."""
    return xml_text(text)


def _text_element(line: str) -> str:
    """A text element, marked xml:space="preserve" when a reader could drop or fold its spaces otherwise (leading,
    trailing or doubled spaces, tabs, line ends), as python-docx marks text."""
    if not line:
        return "<w:t/>"
    text = _escape(line)
    if (text[0] == " " or text[-1] == " " or "  " in text or "\t" in text or "\n" in text or "\r" in text):
        return f'<w:t xml:space="preserve">{text}</w:t>'
    return f"<w:t>{text}</w:t>"


def _pieces(lines: list[str]) -> str:
    """Lines of a run, separated by line breaks; an empty line is an empty text element."""
    return "<w:br/>".join([_text_element(line) for line in lines])


@lru_cache(maxsize=4096)
def _run_xml(text: str, size: float, bold: bool = False, italic: bool = False) -> str:
    props = (("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
             + f'<w:sz w:val="{int(size * 2)}"/><w:szCs w:val="{int(size * 2)}"/>')
    pieces = _pieces([clean_text(line) for line in text.split("\n")])
    return f"<w:r><w:rPr>{props}</w:rPr>{pieces}</w:r>" if text else ""


@lru_cache(maxsize=4096)
def _ppr_xml(align: str | None = None, keep_next: bool = False, space_before: float = 0, space_after: float = 0,
             indent_cm: tuple[float, float] | None = None, border_bottom: bool = False, exact_pt: float | None = None,
             style: str | None = None) -> str:
    props = f'<w:pStyle w:val="{style}"/>' if style else ""
    props += "<w:keepNext/>" if keep_next else ""
    if border_bottom:
        props += '<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="0" w:color="auto"/></w:pBdr>'
    spacing = f'w:before="{int(space_before * 20)}" w:after="{int(space_after * 20)}"'
    spacing += f' w:line="{int(exact_pt * 20)}" w:lineRule="exact"' if exact_pt else ""
    props += f"<w:spacing {spacing}/>"
    if indent_cm:
        props += f'<w:ind w:left="{int(indent_cm[0] * _TWIPS_PER_CM)}" w:right="{int(indent_cm[1] * _TWIPS_PER_CM)}"/>'
    if align:
        props += f'<w:jc w:val="{align}"/>'
    return f"<w:pPr>{props}</w:pPr>"


@lru_cache(maxsize=4096)
def _paragraph_xml(text: str, size: float, bold: bool = False, italic: bool = False, align: str | None = None,
                   keep_next: bool = False, space_before: float = 0, space_after: float = 3) -> str:
    return "<w:p>" + _ppr_xml(align, keep_next, space_before, space_after) + _run_xml(text, size, bold, italic) + "</w:p>"


@lru_cache(maxsize=4096)
def _rule_xml(text: str, size: float, bold: bool, cell_cm: float, fraction: float) -> str:
    """A solid line under a centred text: `fraction` of the text's width (the decree: 1/3 to 1/2, or all of the motto)."""
    length = min(cell_cm - 0.2, max(1.0, text_width_cm(text, size, bold) * fraction))
    side = max(0.0, (cell_cm - length) / 2)
    return f"<w:p>{_ppr_xml('center', keep_next=True, indent_cm=(side, side), border_bottom=True, exact_pt=3)}</w:p>"


@lru_cache(maxsize=4096)
def _line_xml(text: str, size: float, bold: bool = False, italic: bool = False, align: str = "center",
              keep_next: bool = True, space_before: float = 0, space_after: float = 0) -> str:
    return (f"<w:p>{_ppr_xml(align, keep_next, space_before, space_after)}"
            f"{_run_xml(text, size, bold, italic)}</w:p>")


# ---------------------------------------------------------------- frame


def _frame_table(cells: list[tuple[float, str]], rows: int = 1) -> str:
    """A borderless layout table: `cells` are (width in cm, paragraphs XML), `rows` rows of len(cells)/rows cells."""
    per_row = len(cells) // rows
    grid = "".join(f'<w:gridCol w:w="{int(w * _TWIPS_PER_CM)}"/>' for w, _ in cells[:per_row])
    xml = ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
           '<w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/>'
           '<w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders><w:tblLayout w:type="fixed"/>'
           '<w:tblCellMar><w:left w:w="28" w:type="dxa"/><w:right w:w="28" w:type="dxa"/></w:tblCellMar>'
           f'</w:tblPr><w:tblGrid>{grid}</w:tblGrid>')
    for row in range(rows):
        xml += "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
        for width, content in cells[row * per_row:(row + 1) * per_row]:
            xml += (f'<w:tc><w:tcPr><w:tcW w:w="{int(width * _TWIPS_PER_CM)}" w:type="dxa"/></w:tcPr>'
                    f'{content or "<w:p/>"}</w:tc>')
        xml += "</w:tr>"
    return xml + "</w:tbl>"


def _letterhead(head: Letterhead, width: float) -> str:
    """Issuer and national motto side by side, each ruled; number and place-date on the next row; then the title."""
    left_cm = round(width * (0.42 if width < 20 else 0.38), 2)
    right_cm = round(width - left_cm, 2)
    left = ""
    if head.parent:
        left += _line_xml(head.parent.upper(), BODY_PT)
    left += _line_xml(head.body.upper(), BODY_PT, bold=True)
    left += _rule_xml(head.body.upper(), BODY_PT, True, left_cm, 0.4)
    right = _line_xml(NATIONAL_NAME, BODY_PT - 1, bold=True)
    right += _line_xml(MOTTO, BODY_PT + 1, bold=True)
    right += _rule_xml(MOTTO, BODY_PT + 1, True, right_cm, 1.0)
    number = _line_xml(head.number, BODY_PT, space_before=4)
    place = _line_xml(head.place_date, BODY_PT + 1, italic=True, space_before=4)
    xml = _frame_table([(left_cm, left), (right_cm, right), (left_cm, number), (right_cm, place)], rows=2)
    xml += f"<w:p>{_ppr_xml(keep_next=True, exact_pt=10)}</w:p>"
    xml += f'<w:p>{_ppr_xml("center", True, 6)}{_run_xml(head.title, TITLE_PT, True)}</w:p>'
    for line in head.subtitle:
        xml += f'<w:p>{_ppr_xml("center", True)}{_run_xml(line, TITLE_PT, True)}</w:p>'
    last = head.subtitle[-1] if head.subtitle else head.title
    xml += _rule_xml(last, TITLE_PT, True, width, 0.35)
    if head.attachment:
        xml += f'<w:p>{_ppr_xml("center", True, 3)}{_run_xml(head.attachment, BODY_PT, italic=True)}</w:p>'
    return xml + f"<w:p>{_ppr_xml(keep_next=True, exact_pt=8)}</w:p>"


def _closing_xml(closing: Closing, width: float) -> str:
    """Recipients on the left, the signature block on the right, in one row that never splits."""
    left_cm = round(width * 0.45, 2)
    right_cm = round(width - left_cm, 2)
    left = _line_xml(RECIPIENTS_LABEL, BODY_PT - 1, bold=True, italic=True, align="left", space_before=6)
    for line in recipient_lines(closing.recipients):
        left += _line_xml(line, BODY_PT - 2, align="left")
    right = ""
    for index, line in enumerate(closing.signer):
        right += _line_xml(line.upper(), BODY_PT + 1 if index == len(closing.signer) - 1 else BODY_PT, bold=True,
                           space_before=6 if index == 0 else 0)
    right += _line_xml("", BODY_PT) * 4
    right += _line_xml(closing.name or "", BODY_PT + 1, bold=True)
    return _frame_table([(left_cm, left), (right_cm, right)])


# ---------------------------------------------------------------- tables


@cache
def _indent_twips(indent: int) -> int:
    from docx.shared import Cm
    return int(Cm(0.3 * indent).twips)


class _CellStyles:
    """The paragraph styles of table cells: TABLE_STYLE, and one style based on it per alignment, weight and indent
    used, so that a cell names its style instead of repeating its properties (a few per document, added to
    styles.xml once drawn)."""

    def __init__(self) -> None:
        self.used: dict[tuple[str | None, bool, int], str] = {}

    def name(self, align: str | None, bold: bool, indent: int) -> str:
        key = (align, bold, indent)
        style = self.used.get(key)
        if style is None:
            style = self.used[key] = TABLE_STYLE + _ALIGN_SUFFIX[align] + ("D" if bold else "") + (
                f"L{indent}" if indent else "")
        return style

    def xml(self) -> str:
        """The styles used but TABLE_STYLE, for styles.xml (whose root declares the namespace)."""
        xml = ""
        for (align, bold, indent), style in sorted(self.used.items(), key=lambda item: item[1]):
            if style == TABLE_STYLE:
                continue
            name = " ".join([TABLE_STYLE, *([_ALIGN_NAME[align]] if align else []), *(["đậm"] if bold else []),
                             *([f"lề {indent}"] if indent else [])])
            paragraph = (f'<w:ind w:left="{_indent_twips(indent)}"/>' if indent else "") + (
                f'<w:jc w:val="{align}"/>' if align else "")
            xml += (f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style}"><w:name w:val="{name}"/>'
                    f'<w:basedOn w:val="{TABLE_STYLE}"/>' + (f"<w:pPr>{paragraph}</w:pPr>" if paragraph else "")
                    + f'<w:rPr>{"<w:b/><w:bCs/>" if bold else ""}{_lang_xml()}</w:rPr></w:style>')
        return xml


_ALIGN_SUFFIX = {None: "", "center": "G", "right": "P", "left": "T", "both": "B"}
_ALIGN_NAME = {"center": "giữa", "right": "phải", "left": "trái", "both": "đều"}


def _cell_xml(text: str, width: int, styles: _CellStyles, *, bold: bool = False, align: str | None = None,
              indent: int = 0, fill: str | None = None, span: int = 1, nowrap: bool = False,
              vmerge: str | None = None, valign: str | None = None) -> str:
    """A cell of one paragraph in the style of its alignment, weight (of its text: an empty paragraph stays
    regular) and indent."""
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge:
        props += f'<w:vMerge w:val="{vmerge}"/>' if vmerge == "restart" else "<w:vMerge/>"
    if fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
    if nowrap:
        props += "<w:noWrap/>"
    if valign:
        props += f'<w:vAlign w:val="{valign}"/>'
    style = styles.name(align, bold and bool(text), indent)
    run = f"<w:r>{_pieces(text.split(chr(10)))}</w:r>" if text else ""
    return f'<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}</w:p></w:tc>'


def _header_rows(columns: tuple[Column, ...], twips: list[int], styles: _CellStyles) -> list[str]:
    fill = FILLS["header"]
    if not any(c.group for c in columns):
        cells = "".join(_cell_xml(clean_text(c.header), w, styles, bold=True, align="center", fill=fill,
                                  valign="center") for c, w in zip(columns, twips))
        return [f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{cells}</w:tr>"]
    top, bottom = "", ""
    index = 0
    while index < len(columns):
        column = columns[index]
        if column.group is None:
            top += _cell_xml(clean_text(column.header), twips[index], styles, bold=True, align="center", fill=fill,
                             vmerge="restart", valign="center")
            bottom += _cell_xml("", twips[index], styles, fill=fill, vmerge="continue")
            index += 1
            continue
        end = index
        while end + 1 < len(columns) and columns[end + 1].group == column.group:
            end += 1
        top += _cell_xml(clean_text(column.group), sum(twips[index:end + 1]), styles, bold=True, align="center",
                         fill=fill, span=end - index + 1, valign="center")
        for position in range(index, end + 1):
            bottom += _cell_xml(clean_text(columns[position].header), twips[position], styles, bold=True,
                                align="center", fill=fill, valign="center")
        index = end + 1
    head = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
    return [f"<w:tr>{head}{top}</w:tr>", f"<w:tr>{head}{bottom}</w:tr>"]


def _table_properties(twips: list[int], top: bool = True) -> str:
    border = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    top_border = f"<w:top {border}/>" if top else '<w:top w:val="nil"/>'
    return (f'<w:tblPr><w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{top_border}<w:left {border}/><w:bottom {border}/><w:right {border}/>'
            f'<w:insideH {border}/><w:insideV {border}/></w:tblBorders><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr>'
            "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in twips) + "</w:tblGrid>")


def _table_xml(table: Table, width_cm: float, memos: dict, styles: _CellStyles, out: list[bytes],
               closing: Closing | None = None) -> None:
    """The table, appended to `out`; with a closing, its last rows and the signature block form one final row that
    never splits.

    `memos` keeps, per kind of table, each distinct cell's XML (see _Cells): the tables of the units
    repeat most cells (criteria, maxima, statuses).

    Word and LibreOffice both keep an unsplittable row on one page, while neither reliably keeps a
    table's last rows with the paragraph after it; so the last rows are a table nested in that final
    row, with the same columns and no double border, followed by the recipients and the signature.
    """
    columns = table.columns
    total = sum(c.width for c in columns)
    twips = [int(width_cm * _TWIPS_PER_CM * c.width / total) for c in columns]
    out.append(("<w:tbl>" + _table_properties(twips) + "".join(_header_rows(columns, twips, styles))).encode())
    keep_from = max(0, len(table.rows) - KEEP_ROWS) if closing is not None else len(table.rows)
    memo = memos.get((columns, tuple(twips), table.indent_column))
    if memo is None:
        memo = memos[(columns, tuple(twips), table.indent_column)] = _Cells(table, twips, styles)
    memo.draw(table.rows[:keep_from], out)
    if closing is not None:
        cell = (f'<w:tcPr><w:tcW w:w="{sum(twips)}" w:type="dxa"/><w:gridSpan w:val="{len(twips)}"/>'
                '<w:tcBorders><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/></w:tcBorders>'
                '<w:tcMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tcMar></w:tcPr>')
        out.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc>{cell}<w:tbl>".encode()
                   + _table_properties(twips, top=keep_from == 0).encode())
        memo.draw(table.rows[keep_from:], out)
        spacer = f"<w:p>{_ppr_xml(exact_pt=4)}</w:p>"
        out.append(f"</w:tbl>{spacer}{_closing_xml(closing, width_cm)}{spacer}</w:tc></w:tr>".encode())
    out.append(b"</w:tbl>")


_ROW_START = b"<w:tr><w:trPr><w:cantSplit/></w:trPr>"
_ROW_END = b"</w:tr>"
_FAST_KINDS = frozenset({str, type(None), int, float, tuple, Total})
"""Cell types whose equal values always draw the same cell, once float zeros (0.0 equals -0.0, which prints "-0")
and tuples holding more than text are left out; a Total is looked up by its value and whether it is a percent."""


class _Cells:
    """Each distinct cell of one kind of table (columns, widths, indented column) as drawn, encoded.

    A row is drawn by looking its values up all at once (map over per-column dictionaries, no Python
    code per cell), in dictionaries chosen by the row's style, indent and the exact types of its
    values, so that equal values of different types (1 and 1.0, True and 1) never share an entry.
    A value not yet seen, a float zero, or a row that spans or is short, takes the general way.
    """

    def __init__(self, table: Table, twips: list[int], styles: _CellStyles) -> None:
        self.columns = table.columns
        self.indent_column = table.indent_column
        self.twips = twips
        self.styles = styles
        self.cells: dict = {}
        self.fast: dict = {}

    def draw(self, rows, out: list[bytes]) -> None:
        count = len(self.columns)
        fast, dict_get = self.fast, dict.get
        for row in rows:
            values = row.cells
            if row.span or len(values) != count:
                out.append(self.row(row))
                continue
            kinds = tuple(map(type, values))
            key = (row.style, row.indent, kinds)
            entry = fast.get(key)
            if entry is None:
                totals = tuple(i for i, kind in enumerate(kinds) if kind is Total)
                usable = all(kind in _FAST_KINDS for kind in kinds)
                entry = fast[key] = ([{} for _ in kinds] if usable else None, totals)
            lookups, totals = entry
            if lookups is None:
                out.append(self.row(row))
                continue
            keys = values
            if totals:
                keys = list(values)
                for i in totals:
                    total = values[i]
                    keys[i] = (type(total.value), total.value, total.percent)
            drawn = list(map(dict_get, lookups, keys))
            if not all(drawn):
                style, indent = row.style, row.indent
                for i, xml in enumerate(drawn):
                    if xml is None:
                        drawn[i] = xml = self.cell(i, 1, style, indent if i == self.indent_column else 0, values[i])
                        if _reusable(values[i]):
                            lookups[i][keys[i]] = xml
            out.append(_ROW_START)
            out += drawn
            out.append(_ROW_END)

    def row(self, row: Row) -> bytes:
        """A row the general way: short rows padded, a spanning row's last filled cell run to the end."""
        columns = self.columns
        values = list(row.cells) + [None] * (len(columns) - len(row.cells))
        last_filled = max((i for i, v in enumerate(values) if v is not None and v != "" and v != ()), default=0)
        span_from = last_filled if row.span and last_filled < len(columns) - 1 else None
        cells = []
        for index, value in enumerate(values):
            if span_from is not None and index > span_from:
                break
            span = len(columns) - index if index == span_from else 1
            cells.append(self.cell(index, span, row.style, row.indent if index == self.indent_column else 0, value))
        return _ROW_START + b"".join(cells) + _ROW_END

    def cell(self, index: int, span: int, style: str, indent: int, value) -> bytes:
        kind = type(value)
        key = (index, span, style, indent, kind,
               (memo_value(value.value), memo_value(value.percent)) if kind is Total else memo_value(value))
        xml = self.cells.get(key)
        if xml is None:
            column = self.columns[index]
            numeric = is_number(value)
            align = "right" if numeric else ("center" if column.kind != "text" else None)
            xml = self.cells[key] = _cell_xml(
                cell_text(value, column), sum(self.twips[index:index + span]), self.styles, bold=style != "normal",
                align=align, fill=FILLS.get(style), span=span, nowrap=numeric, indent=indent).encode()
        return xml


def _reusable(value) -> bool:
    """Whether a value may key the looked-up cells: every value equal to it and of its type draws the same cell."""
    kind = type(value)
    if kind is float:
        return value != 0  # NaN included: another NaN is not equal to it, and is drawn the general way
    if kind is Total:
        return type(value.value) in (int, float) and value.value != 0 and type(value.percent) is bool
    if kind is tuple:
        return all(type(v) is str for v in value)
    return True
