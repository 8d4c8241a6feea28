/**
 * A strict XML 1.0 reader that accepts and rejects what PHP's simplexml_load_string() (libxml2, default
 * options) accepts and rejects, and exposes the little of SimpleXML that Kayako's LoginShare code reads.
 *
 * Why not a library: xmlbuilder2's reader, sax (strict mode) and fast-xml-parser's validator all accept
 * documents libxml2 refuses (an unescaped "&", "&nbsp;", two root elements, control characters, a
 * misplaced XML declaration...), and a judge that is laxer than Kayako is worse than none. The behaviour
 * below was checked case by case against PHP 8.2 / libxml2 2.9.14.
 *
 * What it models:
 * - encoding: UTF-8 BOM (accepted), the XML declaration's encoding (UTF-8 default; ISO-8859-1 and
 *   US-ASCII decoded strictly; other labels through TextDecoder), invalid byte sequences rejected;
 * - well-formedness: XML declaration only at the very start, names (5th edition), unique attributes,
 *   no "<" in attribute values, references (character references must be legal characters; entities
 *   must be declared unless an external DTD subset may declare them), "]]>" outside CDATA, comments
 *   without "--", PIs not named "xml", one root element, nothing but comments/PIs/space after it,
 *   nesting deeper than libxml2's 256 levels below the root;
 * - SimpleXML reading: child lookup by name skips prefixed elements (a:result is not result), the
 *   string value of an element is its own text, CDATA and entity text (not its descendants'), and
 *   elements that come from an entity's replacement text are invisible; attributes are ignored.
 */

export interface SimpleXmlElement {
  /** The name as written, prefix included. */
  readonly name: string;
  /** Element children in document order, as SimpleXML iterates them. */
  readonly children: readonly SimpleXmlElement[];
  /** What PHP's (string) cast gives: own text, CDATA and entity text, line ends normalised to "\n". */
  readonly text: string;
  /** PHP empty() on the element: no child node at all, or a single text node "" or "0". */
  readonly emptyLikePhp: boolean;
  readonly attributeCount: number;
}

export interface SimpleXmlDocument {
  readonly root: SimpleXmlElement;
  /** The encoding the body was decoded with. */
  readonly encoding: string;
  readonly hasBom: boolean;
  readonly hasXmlDeclaration: boolean;
}

export type SimpleXmlLoad = { ok: true; document: SimpleXmlDocument } | { ok: false; error: string };

/** Parse bytes as simplexml_load_string() would (the caller trims first, as Kayako does). */
export function loadSimpleXml(bytes: Uint8Array): SimpleXmlLoad {
  try {
    const decoded = decodeDocument(bytes);
    const parser = new Parser(normaliseLineEnds(decoded.text), new Map(), { external: false, standalone: false });
    const parsed = parser.parseDocument();
    return {
      ok: true,
      document: {
        root: parsed.root,
        encoding: decoded.encoding,
        hasBom: decoded.hasBom,
        hasXmlDeclaration: parsed.hasXmlDeclaration,
      },
    };
  } catch (error) {
    if (error instanceof XmlSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The first child element with this unprefixed name, as `$element->name` finds it. */
export function childNamed(element: SimpleXmlElement, name: string): SimpleXmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

/** Every child element with this unprefixed name, as `foreach ($element->name as ...)` iterates. */
export function childrenNamed(element: SimpleXmlElement, name: string): SimpleXmlElement[] {
  return element.children.filter((child) => child.name === name);
}

class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

// ---------------------------------------------------------------------------------------------------
// Encoding

const LATIN1_LABELS = new Set([
  'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'iso-latin-1', 'iso latin 1', 'latin1', 'latin-1', 'l1',
  'iso-ir-100', 'cp819', 'ibm819', 'csisolatin1', 'iso_8859-1:1987',
]);
const ASCII_LABELS = new Set([
  'us-ascii', 'ascii', 'iso646-us', 'ansi_x3.4-1968', 'ansi_x3.4-1986', 'us', 'csascii', 'cp367',
  'ibm367', 'iso-ir-6', 'iso_646.irv:1991',
]);
const UTF8_LABELS = new Set(['utf-8', 'utf8']);
const UTF16_LABELS = new Set(['utf-16', 'utf16', 'utf-16le', 'utf-16be', 'ucs-2', 'iso-10646-ucs-2']);

interface DecodedDocument {
  text: string;
  encoding: string;
  hasBom: boolean;
}

function decodeDocument(bytes: Uint8Array): DecodedDocument {
  if (bytes.length === 0) throw new XmlSyntaxError('Document is empty');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    // libxml2 trusts the BOM over a conflicting declaration.
    return { text: decodeStrict('utf-8', bytes.subarray(3)), encoding: 'UTF-8', hasBom: true };
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const label = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    return { text: decodeStrict(label, bytes.subarray(2)), encoding: label.toUpperCase(), hasBom: true };
  }
  const label = declaredEncoding(bytes);
  if (label === undefined || UTF8_LABELS.has(label.toLowerCase())) {
    return { text: decodeStrict('utf-8', bytes), encoding: 'UTF-8', hasBom: false };
  }
  const lower = label.toLowerCase();
  if (LATIN1_LABELS.has(lower)) {
    return { text: Buffer.from(bytes).toString('latin1'), encoding: 'ISO-8859-1', hasBom: false };
  }
  if (ASCII_LABELS.has(lower)) {
    if (bytes.some((byte) => byte > 0x7f)) throw new XmlSyntaxError('Input is not proper US-ASCII');
    return { text: Buffer.from(bytes).toString('latin1'), encoding: 'US-ASCII', hasBom: false };
  }
  if (UTF16_LABELS.has(lower)) {
    throw new XmlSyntaxError(`Document labelled ${label} but has 8-bit content`);
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(lower, { fatal: true });
  } catch {
    throw new XmlSyntaxError(`Unsupported encoding ${label}`);
  }
  try {
    // Node's TextDecoder decodes windows-1252 as ISO-8859-1, so that one is mapped here.
    const text = decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
    return { text, encoding: label, hasBom: false };
  } catch {
    throw new XmlSyntaxError(`Input is not proper ${label}`);
  }
}

/** Code points of windows-1252 bytes 0x80–0x9F; 0 marks the five bytes the code page leaves undefined. */
const WINDOWS_1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte < 0x80 || byte > 0x9f) {
      text += String.fromCharCode(byte);
      continue;
    }
    const codePoint = WINDOWS_1252_HIGH[byte - 0x80]!;
    if (codePoint === 0) throw new Error(`byte 0x${byte.toString(16)} is undefined in windows-1252`);
    text += String.fromCharCode(codePoint);
  }
  return text;
}

function decodeStrict(label: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new XmlSyntaxError(`Input is not proper ${label.toUpperCase()}, indicate encoding`);
  }
}

/** The encoding pseudo-attribute of a leading XML declaration, read as ASCII before decoding. */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  if (!/^<\?xml[ \t\r\n]/.test(head)) return undefined;
  const end = head.indexOf('?>');
  const declaration = end === -1 ? head : head.slice(0, end);
  return /[ \t\r\n]encoding[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')/.exec(declaration)?.slice(1).find((v) => v !== undefined);
}

/** XML 1.0 §2.11: CR LF and lone CR become LF before parsing (character references are not affected). */
function normaliseLineEnds(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

// ---------------------------------------------------------------------------------------------------
// Grammar

const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_PATTERN = `[${NAME_START}][${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]*`;
const NAME_RE = new RegExp(NAME_PATTERN, 'uy');
const NAME_ONLY_RE = new RegExp(`^${NAME_PATTERN}$`, 'u');
const INVALID_CHAR_RE = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const SPACE_RE = /[ \t\r\n]+/y;
const VERSION_RE = /^1\.[0-9]+$/;
const ENCODING_NAME_RE = /^[A-Za-z][A-Za-z0-9._-]*$/;
const PUBID_RE = /^[ \r\na-zA-Z0-9\-'()+,./:=?;!*#@$_%]*$/;
const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'], ['gt', '>'], ['amp', '&'], ['apos', "'"], ['quot', '"'],
]);
/** libxml2 refuses to nest more than 256 elements below the root (xmlParserMaxDepth). */
const MAX_DEPTH = 257;
/** Bounds entity expansion ("billion laughs"); libxml2 has its own amplification limits. */
const MAX_EXPANDED_CHARS = 1_000_000;

type EntityDeclaration = { kind: 'internal'; value: string } | { kind: 'external' };

interface DtdFacts {
  /** An external DTD subset was named; libxml2 does not load it, so undeclared entities are tolerated. */
  external: boolean;
  standalone: boolean;
}

type ChildNode = { kind: 'text' | 'cdata' | 'entity'; text: string } | { kind: 'element' | 'comment' | 'pi' };

/** An element under construction; frozen into a SimpleXmlElement when its end tag is read. */
class ElementBuilder {
  readonly children: SimpleXmlElement[] = [];
  readonly nodes: ChildNode[] = [];
  constructor(
    readonly name: string,
    readonly attributeCount: number,
  ) {}

  addText(kind: 'text' | 'cdata' | 'entity', text: string): void {
    const last = this.nodes[this.nodes.length - 1];
    // libxml2 merges adjacent character data (and character references) into one text node.
    if (kind === 'text' && last?.kind === 'text') {
      last.text += text;
    } else {
      this.nodes.push({ kind, text });
    }
  }

  build(): SimpleXmlElement {
    const first = this.nodes[0];
    const soleText = this.nodes.length === 1 && first?.kind === 'text' ? first.text : undefined;
    return {
      name: this.name,
      children: this.children,
      text: this.nodes.map((node) => ('text' in node ? node.text : '')).join(''),
      emptyLikePhp: this.nodes.length === 0 || soleText === '' || soleText === '0',
      attributeCount: this.attributeCount,
    };
  }
}

class Parser {
  private pos = 0;
  private expandedChars = 0;

  constructor(
    private readonly src: string,
    private readonly entities: Map<string, EntityDeclaration>,
    private readonly dtd: DtdFacts,
    private readonly entityStack: readonly string[] = [],
  ) {}

  parseDocument(): { root: SimpleXmlElement; hasXmlDeclaration: boolean } {
    const invalid = INVALID_CHAR_RE.exec(this.src);
    if (invalid) this.fail(`Char 0x${invalid[0].codePointAt(0)!.toString(16).toUpperCase()} out of allowed range`, invalid.index);
    let hasXmlDeclaration = false;
    if (/^<\?xml[ \t\n]/.test(this.src)) {
      this.parseXmlDeclaration();
      hasXmlDeclaration = true;
    }
    this.parseMisc();
    if (this.src.startsWith('<!DOCTYPE', this.pos)) {
      this.parseDoctype();
      this.parseMisc();
    }
    if (this.pos >= this.src.length) this.fail('Start tag expected, \'<\' not found');
    if (this.src[this.pos] !== '<') this.fail('Start tag expected, \'<\' not found');
    const holder = new ElementBuilder('#document', 0);
    this.parseElement(holder, 1);
    this.parseMisc();
    if (this.pos < this.src.length) this.fail('Extra content at the end of the document');
    return { root: holder.children[0]!, hasXmlDeclaration };
  }

  // --- prolog -----------------------------------------------------------------------------------

  private parseXmlDeclaration(): void {
    this.pos = 5; // after "<?xml"
    const attributes: [string, string][] = [];
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.src.startsWith('?>', this.pos)) {
        this.pos += 2;
        break;
      }
      if (!hadSpace) this.fail('parsing XML declaration: \'?>\' expected');
      const name = this.readName() ?? this.fail('parsing XML declaration: \'?>\' expected');
      this.skipSpace();
      this.expect('=', 'Blank needed here / \'=\' expected');
      this.skipSpace();
      attributes.push([name, this.readQuoted()]);
    }
    const order = ['version', 'encoding', 'standalone'];
    let lastIndex = -1;
    for (const [name, value] of attributes) {
      const index = order.indexOf(name);
      if (index <= lastIndex) this.fail(`Unexpected pseudo-attribute ${name} in XML declaration`);
      lastIndex = index;
      if (name === 'version' && !VERSION_RE.test(value)) this.fail(`Unsupported version '${value}'`);
      if (name === 'encoding' && !ENCODING_NAME_RE.test(value)) this.fail('Invalid XML encoding name');
      if (name === 'standalone') {
        if (value !== 'yes' && value !== 'no') this.fail('standalone accepts only \'yes\' or \'no\'');
        this.dtd.standalone = value === 'yes';
      }
    }
    if (attributes[0]?.[0] !== 'version') this.fail('Malformed declaration expecting version');
  }

  /** Misc ::= Comment | PI | S */
  private parseMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.src.startsWith('<!--', this.pos)) this.parseComment();
      else if (this.src.startsWith('<?', this.pos)) this.parsePI();
      else return;
    }
  }

  private parseDoctype(): void {
    this.pos += '<!DOCTYPE'.length;
    if (!this.skipSpace()) this.fail('Space required after \'<!DOCTYPE\'');
    this.readName() ?? this.fail('xmlParseDocTypeDecl : no DOCTYPE name !');
    const spaced = this.skipSpace();
    if (spaced && (this.src.startsWith('SYSTEM', this.pos) || this.src.startsWith('PUBLIC', this.pos))) {
      this.parseExternalId(true);
      this.dtd.external = true;
      this.skipSpace();
    }
    if (this.src[this.pos] === '[') {
      this.pos++;
      this.parseInternalSubset();
      this.skipSpace();
    }
    this.expect('>', 'DOCTYPE improperly terminated');
  }

  private parseExternalId(systemLiteralRequired: boolean): void {
    if (this.src.startsWith('SYSTEM', this.pos)) {
      this.pos += 6;
      if (!this.skipSpace()) this.fail('Space required after \'SYSTEM\'');
      this.readQuoted();
      return;
    }
    this.pos += 6; // PUBLIC
    if (!this.skipSpace()) this.fail('Space required after \'PUBLIC\'');
    if (!PUBID_RE.test(this.readQuoted())) this.fail('Invalid character in public identifier');
    const spaced = this.skipSpace();
    if (this.src[this.pos] === '"' || this.src[this.pos] === "'") {
      if (!spaced) this.fail('Space required after the Public Identifier');
      this.readQuoted();
    } else if (systemLiteralRequired) {
      this.fail('SystemLiteral " or \' expected');
    }
  }

  private parseInternalSubset(): void {
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) this.fail('DOCTYPE improperly terminated');
      if (this.src[this.pos] === ']') {
        this.pos++;
        return;
      }
      if (this.src.startsWith('<!--', this.pos)) this.parseComment();
      else if (this.src.startsWith('<?', this.pos)) this.parsePI();
      else if (this.src.startsWith('<!ENTITY', this.pos)) this.parseEntityDeclaration();
      else if (/^<!(ELEMENT|ATTLIST|NOTATION)[ \t\n]/.test(this.src.slice(this.pos, this.pos + 11))) this.skipDeclaration();
      else if (this.src[this.pos] === '%') {
        this.pos++;
        this.readName() ?? this.fail('PEReference: no name');
        this.expect(';', 'PEReference: expecting \';\'');
      } else this.fail('internal error: PEReference / markup declaration expected in the internal subset');
    }
  }

  private parseEntityDeclaration(): void {
    this.pos += '<!ENTITY'.length;
    if (!this.skipSpace()) this.fail('Space required after \'<!ENTITY\'');
    let parameter = false;
    if (this.src[this.pos] === '%') {
      this.pos++;
      if (!this.skipSpace()) this.fail('Space required after \'%\'');
      parameter = true;
    }
    const name = this.readName() ?? this.fail('xmlParseEntityDecl: no name');
    if (!this.skipSpace()) this.fail('Space required after the entity name');
    let declaration: EntityDeclaration;
    if (this.src[this.pos] === '"' || this.src[this.pos] === "'") {
      const raw = this.readQuoted();
      if (raw.includes('%')) this.fail('PEReferences forbidden in internal subset');
      declaration = { kind: 'internal', value: expandCharacterReferences(raw, this) };
    } else if (this.src.startsWith('SYSTEM', this.pos) || this.src.startsWith('PUBLIC', this.pos)) {
      this.parseExternalId(true);
      const spaced = this.skipSpace();
      if (spaced && this.src.startsWith('NDATA', this.pos)) {
        this.pos += 5;
        if (!this.skipSpace()) this.fail('Space required after \'NDATA\'');
        this.readName() ?? this.fail('NDATA name expected');
      }
      declaration = { kind: 'external' };
    } else {
      this.fail('Entity value required');
    }
    this.skipSpace();
    this.expect('>', 'xmlParseEntityDecl: entity not terminated');
    // The first declaration of a name wins (XML 1.0 §4.2).
    if (!parameter && !this.entities.has(name)) this.entities.set(name, declaration);
  }

  /** ELEMENT, ATTLIST and NOTATION declarations do not change well-formedness here: skip them. */
  private skipDeclaration(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '"' || c === "'") this.readQuoted();
      else if (c === '>') {
        this.pos++;
        return;
      } else this.pos++;
    }
    this.fail('markup declaration not terminated');
  }

  // --- markup shared by prolog and content ------------------------------------------------------

  private parseComment(): void {
    const start = this.pos + 4;
    const dashes = this.src.indexOf('--', start);
    if (dashes === -1) this.fail('Comment not terminated');
    if (this.src[dashes + 2] !== '>') this.fail('Double hyphen within comment');
    this.pos = dashes + 3;
  }

  private parsePI(): void {
    this.pos += 2;
    const target = this.readName() ?? this.fail('xmlParsePI : no target name');
    if (target.toLowerCase() === 'xml') this.fail('XML declaration allowed only at the start of the document');
    if (this.src.startsWith('?>', this.pos)) {
      this.pos += 2;
      return;
    }
    if (!this.skipSpace()) this.fail(`ParsePI: PI ${target} space expected`);
    const end = this.src.indexOf('?>', this.pos);
    if (end === -1) this.fail(`ParsePI: PI ${target} never end ...`);
    this.pos = end + 2;
  }

  // --- elements ---------------------------------------------------------------------------------

  /** Parse one element at this.pos ("<" already seen) and attach it to the parent. */
  private parseElement(parent: ElementBuilder, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`Excessive depth in document: ${MAX_DEPTH - 1} use XML_PARSE_HUGE option`);
    this.pos++;
    const name = this.readName() ?? this.fail('StartTag: invalid element name');
    const attributeNames = new Set<string>();
    let selfClosing = false;
    for (;;) {
      const spaced = this.skipSpace();
      if (this.src.startsWith('/>', this.pos)) {
        this.pos += 2;
        selfClosing = true;
        break;
      }
      if (this.src[this.pos] === '>') {
        this.pos++;
        break;
      }
      if (this.pos >= this.src.length) this.fail(`Couldn't find end of Start Tag ${name}`);
      if (!spaced) this.fail('attributes construct error');
      const attribute = this.readName() ?? this.fail('attributes construct error');
      this.skipSpace();
      this.expect('=', `Specification mandates value for attribute ${attribute}`);
      this.skipSpace();
      this.parseAttributeValue();
      if (attributeNames.has(attribute)) this.fail(`Attribute ${attribute} redefined`);
      attributeNames.add(attribute);
    }
    const element = new ElementBuilder(name, attributeNames.size);
    if (!selfClosing) {
      this.parseContent(element, depth, false);
      this.pos += 2; // "</"
      const endName = this.readName();
      if (endName !== name) this.fail(`Opening and ending tag mismatch: ${name} and ${endName ?? ''}`);
      this.skipSpace();
      this.expect('>', 'expected \'>\'');
    }
    parent.children.push(element.build());
    parent.nodes.push({ kind: 'element' });
  }

  /**
   * content ::= CharData? ((element | Reference | CDSect | PI | Comment) CharData?)*
   * Stops before "</" (or at the end of an entity's replacement text when inEntity).
   */
  private parseContent(element: ElementBuilder, depth: number, inEntity: boolean): void {
    let text = '';
    const flushText = (): void => {
      if (text !== '') element.addText('text', text);
      text = '';
    };
    for (;;) {
      if (this.pos >= this.src.length) {
        if (inEntity) break;
        this.fail(`Premature end of data in tag ${element.name}`);
      }
      const c = this.src[this.pos];
      if (c === '<') {
        if (this.src.startsWith('</', this.pos)) {
          if (inEntity) this.fail('chunk is not well balanced');
          break;
        }
        flushText();
        if (this.src.startsWith('<!--', this.pos)) {
          this.parseComment();
          element.nodes.push({ kind: 'comment' });
        } else if (this.src.startsWith('<![CDATA[', this.pos)) {
          const end = this.src.indexOf(']]>', this.pos + 9);
          if (end === -1) this.fail('CData section not finished');
          element.addText('cdata', this.src.slice(this.pos + 9, end));
          this.pos = end + 3;
        } else if (this.src.startsWith('<?', this.pos)) {
          this.parsePI();
          element.nodes.push({ kind: 'pi' });
        } else if (this.src.startsWith('<!', this.pos)) {
          this.fail('StartTag: invalid element name');
        } else {
          this.parseElement(element, depth + 1);
        }
      } else if (c === '&') {
        const reference = this.readReference();
        const predefined = reference.kind === 'entity' ? PREDEFINED_ENTITIES.get(reference.name) : reference.value;
        if (predefined !== undefined) {
          // Character references and the five predefined entities become plain text in libxml2.
          text += predefined;
        } else if (reference.kind === 'entity') {
          flushText();
          element.addText('entity', this.expandEntityInContent(reference.name, depth));
        }
      } else {
        if (c === ']' && this.src.startsWith(']]>', this.pos)) this.fail('Sequence \']]>\' not allowed in content');
        text += c;
        this.pos++;
      }
    }
    flushText();
  }

  /**
   * Expand a declared general entity referenced in content. Returns the text SimpleXML sees for it: the
   * entity's top-level text (its elements stay invisible); nothing for entities libxml2 does not load.
   */
  private expandEntityInContent(name: string, depth: number): string {
    const declaration = this.entities.get(name);
    if (declaration === undefined) {
      if (this.dtd.external && !this.dtd.standalone) return '';
      this.fail(`Entity '${name}' not defined`);
    }
    if (declaration.kind === 'external') return '';
    const replacement = this.enterEntity(name, declaration.value);
    const holder = new ElementBuilder(`&${name};`, 0);
    replacement.parseContent(holder, depth, true);
    this.expandedChars = replacement.expandedChars;
    return holder.build().text;
  }

  private enterEntity(name: string, value: string): Parser {
    if (this.entityStack.includes(name)) this.fail(`Detected an entity reference loop (${name})`);
    this.expandedChars += value.length;
    if (this.expandedChars > MAX_EXPANDED_CHARS) this.fail('Maximum entity amplification factor exceeded');
    const nested = new Parser(value, this.entities, this.dtd, [...this.entityStack, name]);
    nested.expandedChars = this.expandedChars;
    return nested;
  }

  private parseAttributeValue(): void {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") this.fail('AttValue: " or \' expected');
    this.pos++;
    for (;;) {
      if (this.pos >= this.src.length) this.fail('AttValue: \' expected');
      const c = this.src[this.pos];
      if (c === quote) {
        this.pos++;
        return;
      }
      if (c === '<') this.fail('Unescaped \'<\' not allowed in attributes values');
      if (c === '&') {
        const reference = this.readReference();
        if (reference.kind === 'entity') this.checkEntityInAttribute(reference.name);
      } else {
        this.pos++;
      }
    }
  }

  /** WFC: no "<" in an attribute's replacement text, no external entity, entity declared. */
  private checkEntityInAttribute(name: string): void {
    if (PREDEFINED_ENTITIES.has(name)) return;
    const declaration = this.entities.get(name);
    if (declaration === undefined) {
      if (this.dtd.external && !this.dtd.standalone) return;
      this.fail(`Entity '${name}' not defined`);
    }
    if (declaration.kind === 'external') this.fail(`Attribute references external entity '${name}'`);
    const nested = this.enterEntity(name, declaration.value);
    while (nested.pos < nested.src.length) {
      const c = nested.src[nested.pos];
      if (c === '<') this.fail(`'<' in entity '${name}' is not allowed in attributes values`);
      if (c === '&') {
        const reference = nested.readReference();
        if (reference.kind === 'entity') nested.checkEntityInAttribute(reference.name);
      } else nested.pos++;
    }
    this.expandedChars = nested.expandedChars;
  }

  /** Reference ::= EntityRef | CharRef, at this.pos ("&"). */
  readReference(): { kind: 'char'; value: string } | { kind: 'entity'; name: string } {
    this.pos++;
    if (this.src[this.pos] === '#') {
      const match = /^#(?:x([0-9a-fA-F]+)|([0-9]+));/.exec(this.src.slice(this.pos, this.pos + 20));
      if (!match) this.fail('xmlParseCharRef: invalid xmlChar value');
      const codePoint = match[1] !== undefined ? parseInt(match[1], 16) : parseInt(match[2]!, 10);
      if (!isXmlChar(codePoint)) this.fail(`xmlParseCharRef: invalid xmlChar value ${codePoint}`);
      this.pos += match[0].length;
      return { kind: 'char', value: String.fromCodePoint(codePoint) };
    }
    const name = this.readName() ?? this.fail('xmlParseEntityRef: no name');
    this.expect(';', `EntityRef: expecting ';'`);
    return { kind: 'entity', name };
  }

  // --- lexical helpers --------------------------------------------------------------------------

  private readName(): string | undefined {
    NAME_RE.lastIndex = this.pos;
    const match = NAME_RE.exec(this.src);
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  private readQuoted(): string {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") this.fail('String not started expecting \' or "');
    const end = this.src.indexOf(quote, this.pos + 1);
    if (end === -1) this.fail('String not closed expecting " or \'');
    const value = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  private skipSpace(): boolean {
    SPACE_RE.lastIndex = this.pos;
    const match = SPACE_RE.exec(this.src);
    if (!match) return false;
    this.pos += match[0].length;
    return true;
  }

  private expect(token: string, message: string): void {
    if (!this.src.startsWith(token, this.pos)) this.fail(message);
    this.pos += token.length;
  }

  fail(message: string, at = this.pos): never {
    const where = this.entityStack.length > 0 ? ` in entity &${this.entityStack[this.entityStack.length - 1]};` : '';
    throw new XmlSyntaxError(`${message} (character ${at}${where})`);
  }
}

function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/**
 * An entity value's replacement text: character references are replaced when the entity is declared,
 * entity references stay for expansion where the entity is used (XML 1.0 §4.5).
 */
function expandCharacterReferences(raw: string, owner: Parser): string {
  return raw.replace(/&(#?)([^;&]*)(;?)/g, (whole: string, hash: string, body: string, semicolon: string) => {
    if (semicolon !== ';') owner.fail('EntityValue: \'&\' forbidden except for entities references');
    if (hash === '') {
      if (!NAME_ONLY_RE.test(body)) owner.fail('EntityValue: \'&\' forbidden except for entities references');
      return whole;
    }
    const match = /^(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
    if (!match) owner.fail('xmlParseCharRef: invalid xmlChar value');
    const codePoint = match[1] !== undefined ? parseInt(match[1], 16) : parseInt(match[2]!, 10);
    if (!isXmlChar(codePoint)) owner.fail(`xmlParseCharRef: invalid xmlChar value ${codePoint}`);
    return String.fromCodePoint(codePoint);
  });
}
