import { describe, expect, it } from 'vitest';
import { phpTrimBytes } from '../../src/probe/php-semantics.js';
import { childNamed, childrenNamed, loadSimpleXml } from '../../src/probe/simplexml.js';

/**
 * Every row was run through PHP 8.2.36 / libxml2 2.9.14 as Kayako runs it:
 *   $o = @simplexml_load_string(trim($body)); isset($o->result) ? [(string)$o->result, (string)$o->message] : ...
 * 'malformed' = simplexml_load_string() returned false; 'no-result' = it parsed but the root has no <result>.
 */
const bytes = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

type Expected = 'malformed' | 'no-result' | { result: string; message: string };

const PHP_CORPUS: [string, string | Uint8Array, Expected][] = [
  ["plain", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><loginshare><result>1</result></loginshare>", { result: "1", message: "" }],
  ["bom", "\ufeff<?xml version=\"1.0\" encoding=\"UTF-8\"?><loginshare><result>1</result></loginshare>", { result: "1", message: "" }],
  ["bom-nodecl", "\ufeff<loginshare><result>1</result></loginshare>", { result: "1", message: "" }],
  ["junk", "Warning: foo<?xml version=\"1.0\"?><loginshare><result>1</result></loginshare>", 'malformed'],
  ["amp", "<loginshare><result>0</result><message>A & B</message></loginshare>", 'malformed'],
  ["lt", "<loginshare><result>0</result><message>a < b</message></loginshare>", 'malformed'],
  ["gt", "<loginshare><result>0</result><message>a > b</message></loginshare>", { result: "0", message: "a > b" }],
  ["nbsp", "<loginshare><result>0</result><message>a&nbsp;b</message></loginshare>", 'malformed'],
  ["numref", "<loginshare><result>0</result><message>a&#233;&#x20AC;b</message></loginshare>", { result: "0", message: "a\u00e9\u20acb" }],
  ["two-roots", "<a><result>1</result></a><b/>", 'malformed'],
  ["nodecl", "<x><result>1</result></x>", { result: "1", message: "" }],
  ["latin1", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iSVNPLTg4NTktMSI/Pjx4PjxyZXN1bHQ+MDwvcmVzdWx0PjxtZXNzYWdlPmNhZuk8L21lc3NhZ2U+PC94Pg=='), { result: "0", message: "caf\u00e9" }],
  ["bad-utf8", bytes('PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+Y2Fm6TwvbWVzc2FnZT48L3g+'), 'malformed'],
  ["cdata", "<x><result>0</result><message><![CDATA[a & b]]></message></x>", { result: "0", message: "a & b" }],
  ["mixed", "<x><result>0</result><message>a<b>inner</b>c<!-- c -->d</message></x>", { result: "0", message: "acd" }],
  ["ns", "<x xmlns:ls=\"urn:x\"><ls:result>1</ls:result></x>", 'no-result'],
  ["defns", "<x xmlns=\"urn:x\"><result>1</result></x>", { result: "1", message: "" }],
  ["doctype-ent", "<!DOCTYPE x [<!ENTITY e \"hello\">]><x><result>0</result><message>&e;</message></x>", { result: "0", message: "hello" }],
  ["comment-first", "<!-- hi --><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-late", "<x/><?xml version=\"1.0\"?>", 'malformed'],
  ["ws-decl", " <?xml version=\"1.0\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["empty-result", "<x><result/></x>", { result: "", message: "" }],
  ["no-result", "<x><message>hi</message></x>", 'no-result'],
  ["result-attr", "<x><result value=\"1\">0</result></x>", { result: "0", message: "" }],
  ["nul", "<x><result>0</result><message>a\u0000b</message></x>", 'malformed'],
  ["ctrl", "<x><result>0</result><message>a\u0001b</message></x>", 'malformed'],
  ["xml11", "<?xml version=\"1.1\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["html", "<html><body>Moved</body></html>", 'no-result'],
  ["dup-result", "<x><result>0</result><result>1</result></x>", { result: "0", message: "" }],
  ["crlf", "<x>\r\n<result>0</result><message>a\r\nb\rc</message></x>", { result: "0", message: "a\nb\nc" }],
  ["attr-dup", "<x a=\"1\" a=\"2\"><result>1</result></x>", 'malformed'],
  ["unquoted-attr", "<x a=1><result>1</result></x>", 'malformed'],
  ["standalone-bad", "<?xml version=\"1.0\" standalone=\"maybe\"?><x><result>1</result></x>", 'malformed'],
  ["pi", "<?xml version=\"1.0\"?><?php echo 1 ?><x><result>1</result></x>", { result: "1", message: "" }],
  ["utf16decl", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><x><result>1</result></x>", 'malformed'],
  ["trailing-junk", "<x><result>1</result></x>junk", 'malformed'],
  ["lt-in-attr", "<x a=\"<\"><result>1</result></x>", 'malformed'],
  ["surrogate-ref", "<x><result>0</result><message>&#xD800;</message></x>", 'malformed'],
  ["ref-0", "<x><result>0</result><message>&#0;</message></x>", 'malformed'],
  ["ws-message", "<x><result>0</result><message>  spaced  </message></x>", { result: "0", message: "  spaced  " }],
  ["nested-user-text", "<x><result>1</result><user>t<usergroup>G</usergroup></user></x>", { result: "1", message: "" }],
  ["deep", "<x><result>1</result>" + "<a>".repeat(299) + "</a>".repeat(299) + "</x>", 'malformed'],
  ["apos-entity", "<x><result>0</result><message>&apos;&quot;&lt;&gt;&amp;</message></x>", { result: "0", message: "'\"<>&" }],
  ["undeclared-ent-in-attr", "<x a=\"&foo;\"><result>1</result></x>", 'malformed'],
  ["cdata-end-in-text", "<x><result>0</result><message>a ]]> b</message></x>", 'malformed'],
  ["comment-dashdash", "<x><!-- a -- b --><result>1</result></x>", 'malformed'],
  ["mismatch", "<x><result>1</results></x>", 'malformed'],
  ["unclosed", "<x><result>1</result>", 'malformed'],
  ["colon-name", "<x><a:b>1</a:b><result>1</result></x>", { result: "1", message: "" }],
  ["undeclared-prefix-attr", "<x a:b=\"1\"><result>1</result></x>", { result: "1", message: "" }],
  ["xmlns-attr", "<x xmlns:a=\"urn:a\" a:b=\"1\"><result>1</result></x>", { result: "1", message: "" }],
  ["name-digit", "<x><1a/><result>1</result></x>", 'malformed'],
  ["nonascii-name", "<x><\u00fcn\u00ef>1</\u00fcn\u00ef><result>1</result></x>", { result: "1", message: "" }],
  ["tab-before-root", "\t<x><result>1</result></x>", { result: "1", message: "" }],
  ["ws-in-endtag", "<x><result>1</result ></x >", { result: "1", message: "" }],
  ["selfclose-root", "<x/>", 'no-result'],
  ["doctype-public", "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><html><result>1</result></html>", { result: "1", message: "" }],
  ["doctype-plain", "<!DOCTYPE x><x><result>1</result></x>", { result: "1", message: "" }],
  ["doctype-html5", "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>hi</body></html>", 'malformed'],
  ["nbsp-declared", "<!DOCTYPE x [<!ENTITY nbsp \"&#160;\">]><x><result>0</result><message>a&nbsp;b</message></x>", { result: "0", message: "a\u00a0b" }],
  ["char-ref-invalid", "<x><result>0</result><message>&#xFFFE;</message></x>", 'malformed'],
  ["char-ref-big", "<x><result>0</result><message>&#x1F600;</message></x>", { result: "0", message: "\ud83d\ude00" }],
  ["emoji-raw", "<x><result>0</result><message>\ud83d\ude00</message></x>", { result: "0", message: "\ud83d\ude00" }],
  ["fffe-raw", "<x><result>0</result><message>\ufffe</message></x>", 'malformed'],
  ["c1-raw", "<x><result>0</result><message>\u0085</message></x>", { result: "0", message: "\u0085" }],
  ["decl-no-version", "<?xml encoding=\"UTF-8\"?><x><result>1</result></x>", 'malformed'],
  ["decl-single-quotes", "<?xml version='1.0' encoding='utf-8'?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-v2", "<?xml version=\"2.0\"?><x><result>1</result></x>", 'malformed'],
  ["decl-upper", "<?XML version=\"1.0\"?><x><result>1</result></x>", 'malformed'],
  ["decl-win1252", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0id2luZG93cy0xMjUyIj8+PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+gDwvbWVzc2FnZT48L3g+'), { result: "0", message: "\u20ac" }],
  ["decl-ascii-highbyte", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVMtQVNDSUkiPz48eD48cmVzdWx0PjA8L3Jlc3VsdD48bWVzc2FnZT7pPC9tZXNzYWdlPjwveD4='), 'malformed'],
  ["decl-bogus-enc", "<?xml version=\"1.0\" encoding=\"bogus-enc\"?><x><result>1</result></x>", 'malformed'],
  ["bom-latin1-decl", "\ufeff<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["json", "{\"result\":1}", 'malformed'],
  ["plain-1", "1", 'malformed'],
  ["space-only", "   ", 'malformed'],
  ["entity-in-result", "<!DOCTYPE x [<!ENTITY one \"1\">]><x><result>&one;</result></x>", { result: "1", message: "" }],
  ["attr-newline", "<x a=\"1\n2\"><result>1</result></x>", { result: "1", message: "" }],
  ["pi-in-content", "<x><?foo bar?><result>1</result></x>", { result: "1", message: "" }],
  ["pi-xml-in-content", "<x><?xml-stylesheet href=\"a\"?><result>1</result></x>", { result: "1", message: "" }],
  ["pi-reserved", "<x><?xml foo?><result>1</result></x>", 'malformed'],
  ["result-plus", "<x><result>+1</result></x>", { result: "+1", message: "" }],
  ["result-ws", "<x><result> 1 </result></x>", { result: " 1 ", message: "" }],
  ["result-nl", "<x><result>\n1\n</result></x>", { result: "\n1\n", message: "" }],
  ["result-1abc", "<x><result>1abc</result></x>", { result: "1abc", message: "" }],
  ["result-1.9", "<x><result>1.9</result></x>", { result: "1.9", message: "" }],
  ["result-1e0", "<x><result>1e0</result></x>", { result: "1e0", message: "" }],
  ["result-0x1", "<x><result>0x1</result></x>", { result: "0x1", message: "" }],
  ["result-01", "<x><result>01</result></x>", { result: "01", message: "" }],
  ["result-true", "<x><result>true</result></x>", { result: "true", message: "" }],
  ["result-neg", "<x><result>-1</result></x>", { result: "-1", message: "" }],
  ["result-big", "<x><result>99999999999999999999</result></x>", { result: "99999999999999999999", message: "" }],
  ["result-cdata", "<x><result><![CDATA[1]]></result></x>", { result: "1", message: "" }],
  ["result-child", "<x><result><v>1</v></result></x>", { result: "", message: "" }],
  ["result-split", "<x><result>1<!-- c -->0</result></x>", { result: "10", message: "" }],
  ["result-.5", "<x><result>.5</result></x>", { result: ".5", message: "" }],
  ["result-1.", "<x><result>1.</result></x>", { result: "1.", message: "" }],
  ["result-vtab", "<x><result>\u000b1</result></x>", 'malformed'],
  ["result-ff", "<x><result> \f1</result></x>", 'malformed'],
  ["result-1e400", "<x><result>1e400</result></x>", { result: "1e400", message: "" }],
  ["result--0", "<x><result>-0</result></x>", { result: "-0", message: "" }],
  ["result-1e-5", "<x><result>1e-5</result></x>", { result: "1e-5", message: "" }],
  ["result-nbsp", "<x><result>\u00a01</result></x>", { result: "\u00a01", message: "" }],
  ["ext-undecl", "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><html><result>0</result><message>a&nbsp;b</message></html>", { result: "0", message: "ab" }],
  ["ext-undecl-sys", "<!DOCTYPE x SYSTEM \"foo.dtd\"><x><result>0</result><message>a&nbsp;b</message></x>", { result: "0", message: "ab" }],
  ["standalone-yes", "<?xml version=\"1.0\" standalone=\"yes\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["ent-markup", "<!DOCTYPE x [<!ENTITY e \"t1<b>in</b>t2\">]><x><result>0</result><message>[&e;]</message></x>", { result: "0", message: "[t1t2]" }],
  ["ent-markup-result", "<!DOCTYPE x [<!ENTITY e \"<result>1</result>\">]><x>&e;</x>", 'no-result'],
  ["ent-amp", "<!DOCTYPE x [<!ENTITY e \"a&amp;b\">]><x><result>0</result><message>&e;</message></x>", { result: "0", message: "a&b" }],
  ["ent-nested", "<!DOCTYPE x [<!ENTITY a \"A\"><!ENTITY b \"&a;&a;\">]><x><result>0</result><message>&b;</message></x>", { result: "0", message: "AA" }],
  ["ent-recursive", "<!DOCTYPE x [<!ENTITY a \"&b;\"><!ENTITY b \"&a;\">]><x><result>0</result><message>&a;</message></x>", 'malformed'],
  ["ent-unbalanced", "<!DOCTYPE x [<!ENTITY e \"<b>\">]><x><result>0</result><message>&e;</b></message></x>", 'malformed'],
  ["ent-pe", "<!DOCTYPE x [<!ENTITY % p \"x\"><!ELEMENT x ANY>]><x><result>1</result></x>", { result: "1", message: "" }],
  ["attlist", "<!DOCTYPE x [<!ATTLIST x a CDATA \"d\">]><x><result>1</result></x>", { result: "1", message: "" }],
  ["ent-ext", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x><result>0</result><message>[&e;]</message></x>", { result: "0", message: "[]" }],
  ["ent-undecl-intsub", "<!DOCTYPE x [<!ELEMENT x ANY>]><x><result>0</result><message>&nbsp;</message></x>", 'malformed'],
  ["ent-in-attr", "<!DOCTYPE x [<!ENTITY e \"v\">]><x a=\"&e;\"><result>1</result></x>", { result: "1", message: "" }],
  ["ent-lt-in-attr", "<!DOCTYPE x [<!ENTITY e \"&#60;\">]><x a=\"&e;\"><result>1</result></x>", 'malformed'],
  ["ent-lt-in-attr2", "<!DOCTYPE x [<!ENTITY e \"<\">]><x a=\"&e;\"><result>1</result></x>", 'malformed'],
  ["attr-noval", "<x a><result>1</result></x>", 'malformed'],
  ["selfclose-space", "<x><result>1</result><y/ ></x>", 'malformed'],
  ["lt-space", "< x><result>1</result></x>", 'malformed'],
  ["attr-nospace", "<x a='1'b='2'><result>1</result></x>", 'malformed'],
  ["decl-nospace", "<?xml version=\"1.0\"encoding=\"UTF-8\"?><x><result>1</result></x>", 'malformed'],
  ["comment-dash", "<x><!-- - --><result>1</result></x>", { result: "1", message: "" }],
  ["comment-3dash", "<x><!---><result>1</result></x>", 'malformed'],
  ["comment-empty", "<x><!----><result>1</result></x>", { result: "1", message: "" }],
  ["comment-endtriple", "<x><!-- a ---><result>1</result></x>", 'malformed'],
  ["cdata-empty", "<x><result>0</result><message><![CDATA[]]></message></x>", { result: "0", message: "" }],
  ["ref-x-empty", "<x><result>0</result><message>&#x;</message></x>", 'malformed'],
  ["ref-bad", "<x><result>0</result><message>&#12a;</message></x>", 'malformed'],
  ["ref-big", "<x><result>0</result><message>&#x110000;</message></x>", 'malformed'],
  ["ref-tab", "<x><result>0</result><message>a&#9;b&#xD;c</message></x>", { result: "0", message: "a\tb\rc" }],
  ["ref-upperX", "<x><result>0</result><message>&#X41;</message></x>", 'malformed'],
  ["ws-in-ref", "<x><result>0</result><message>& amp;</message></x>", 'malformed'],
  ["amp-noterm", "<x><result>0</result><message>&amp</message></x>", 'malformed'],
  ["pi-noend", "<x><?foo <result>1</result></x>", 'malformed'],
  ["pi-target-only", "<x><?foo?><result>1</result></x>", { result: "1", message: "" }],
  ["pi-nospace", "<x><?foo-bar?><result>1</result></x>", { result: "1", message: "" }],
  ["pi-colon", "<x><?a:b c?><result>1</result></x>", { result: "1", message: "" }],
  ["doctype-after-root", "<x><result>1</result></x><!DOCTYPE x>", 'malformed'],
  ["two-doctypes", "<!DOCTYPE x><!DOCTYPE x><x><result>1</result></x>", 'malformed'],
  ["doctype-lower", "<!doctype x><x><result>1</result></x>", 'malformed'],
  ["cdata-outside", "<![CDATA[x]]><x><result>1</result></x>", 'malformed'],
  ["text-before-root", "a<x><result>1</result></x>", 'malformed'],
  ["ref-before-root", "&amp;<x><result>1</result></x>", 'malformed'],
  ["name-dot", "<x><.a/><result>1</result></x>", 'malformed'],
  ["name-dash", "<x><a-b.c_d/><result>1</result></x>", { result: "1", message: "" }],
  ["name-colon-start", "<x><:a/><result>1</result></x>", { result: "1", message: "" }],
  ["name-multi-colon", "<x><a:b:c/><result>1</result></x>", { result: "1", message: "" }],
  ["prefix-xmlns-decl-empty", "<x xmlns:a=\"\"><result>1</result></x>", { result: "1", message: "" }],
  ["xmlns-xml", "<x xml:lang=\"en\"><result>1</result></x>", { result: "1", message: "" }],
  ["xmlns-prefixed-result", "<x xmlns:a=\"urn:a\"><a:result>1</a:result><result>0</result></x>", { result: "0", message: "" }],
  ["default-ns-on-result", "<x><result xmlns=\"urn:z\">1</result></x>", { result: "1", message: "" }],
  ["result-in-ns-root", "<a:x xmlns:a=\"urn:a\"><result>1</result></a:x>", { result: "1", message: "" }],
  ["undeclared-root-prefix", "<a:x><result>1</result></a:x>", { result: "1", message: "" }],
  ["bad-ns-uri", "<x xmlns=\"not a uri\"><result>1</result></x>", { result: "1", message: "" }],
  ["attr-ns-dup", "<x xmlns:a=\"urn:1\" xmlns:b=\"urn:1\" a:z=\"1\" b:z=\"2\"><result>1</result></x>", { result: "1", message: "" }],
  ["quot-in-attr", "<x a=\"x'y\"><result>1</result></x>", { result: "1", message: "" }],
  ["attr-unterminated", "<x a=\"1><result>1</result></x>", 'malformed'],
  ["gt-in-attr", "<x a=\">\"><result>1</result></x>", { result: "1", message: "" }],
  ["tab-in-attr", "<x a=\"\t\"><result>1</result></x>", { result: "1", message: "" }],
  ["nbsp-root-name", "<x\u00a0><result>1</result></x>", 'malformed'],
  ["high-name", "<\u4e2d><result>1</result></\u4e2d>", { result: "1", message: "" }],
  ["endtag-space-before-name", "<x><result>1</ result></x>", 'malformed'],
  ["emoji-name", "<x><\ud83d\ude00/><result>1</result></x>", { result: "1", message: "" }],
  ["sup-name", "<x><a\u00b7/><result>1</result></x>", { result: "1", message: "" }],
  ["decl-enc-empty", "<?xml version=\"1.0\" encoding=\"\"?><x><result>1</result></x>", 'malformed'],
  ["decl-extra", "<?xml version=\"1.0\" foo=\"bar\"?><x><result>1</result></x>", 'malformed'],
  ["decl-order", "<?xml encoding=\"UTF-8\" version=\"1.0\"?><x><result>1</result></x>", 'malformed'],
  ["decl-ws-end", "<?xml version=\"1.0\" ?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-v10x", "<?xml version=\"1.0a\"?><x><result>1</result></x>", 'malformed'],
  ["decl-v1", "<?xml version=\"1\"?><x><result>1</result></x>", 'malformed'],
  ["decl-v19", "<?xml version=\"1.9\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-latin1-label", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0ibGF0aW4xIj8+PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+6TwvbWVzc2FnZT48L3g+'), { result: "0", message: "\u00e9" }],
  ["decl-iso88591-c1", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iSVNPLTg4NTktMSI/Pjx4PjxyZXN1bHQ+MDwvcmVzdWx0PjxtZXNzYWdlPoA8L21lc3NhZ2U+PC94Pg=='), { result: "0", message: "\u0080" }],
  ["decl-utf8-lower", "<?xml version=\"1.0\" encoding=\"utf-8\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-utf8-nodash", "<?xml version=\"1.0\" encoding=\"UTF8\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-ascii", "<?xml version=\"1.0\" encoding=\"ASCII\"?><x><result>1</result></x>", { result: "1", message: "" }],
  ["decl-sjis", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iU2hpZnRfSklTIj8+PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+gqA8L21lc3NhZ2U+PC94Pg=='), { result: "0", message: "\u3042" }],
  ["decl-koi8", bytes('PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iS09JOC1SIj8+PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+wTwvbWVzc2FnZT48L3g+'), { result: "0", message: "\u0430" }],
  ["utf16le-bom", bytes('//48AHgAPgA8AHIAZQBzAHUAbAB0AD4AMQA8AC8AcgBlAHMAdQBsAHQAPgA8AC8AeAA+AA=='), 'malformed'],
  ["overlong", bytes('PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+wK88L21lc3NhZ2U+PC94Pg=='), 'malformed'],
  ["surrogate-raw", bytes('PHg+PHJlc3VsdD4wPC9yZXN1bHQ+PG1lc3NhZ2U+7aCAPC9tZXNzYWdlPjwveD4='), 'malformed'],
  ["message-nested-only", "<x><result>0</result><message><b>bold</b></message></x>", { result: "0", message: "" }],
  ["message-second", "<x><result>0</result><message>first</message><message>second</message></x>", { result: "0", message: "first" }],
  ["message-entity-text", "<!DOCTYPE x [<!ENTITY e \"Ent\">]><x><result>0</result><message>a&e;b</message></x>", { result: "0", message: "aEntb" }],
];

function readLikeKayako(body: string | Uint8Array): Expected {
  const raw = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const loaded = loadSimpleXml(phpTrimBytes(raw));
  if (!loaded.ok) return 'malformed';
  const result = childNamed(loaded.document.root, 'result');
  if (result === undefined) return 'no-result';
  return { result: result.text, message: childNamed(loaded.document.root, 'message')?.text ?? '' };
}

describe('loadSimpleXml agrees with PHP simplexml_load_string()', () => {
  it.each(PHP_CORPUS)('%s', (_name, body, expected) => {
    expect(readLikeKayako(body)).toEqual(expected);
  });
});

describe('loadSimpleXml limits and SimpleXML reading', () => {
  const nested = (levels: number): string => `<x><result>1</result>${'<a>'.repeat(levels - 1)}${'</a>'.repeat(levels - 1)}</x>`;

  it('accepts 257 nested levels and refuses 258, like libxml2 without XML_PARSE_HUGE', () => {
    expect(readLikeKayako(nested(257))).toEqual({ result: '1', message: '' });
    expect(readLikeKayako(nested(258))).toBe('malformed');
  });

  it('refuses an exponential entity expansion instead of hanging', () => {
    let dtd = '<!ENTITY a0 "xxxxxxxxxx">';
    for (let i = 1; i < 10; i++) dtd += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
    expect(readLikeKayako(`<!DOCTYPE x [${dtd}]><x><result>0</result><message>&a9;</message></x>`)).toBe('malformed');
  });

  it('lists repeated children in order and reports PHP empty() per element', () => {
    // empty($x->e) in PHP 8.2 for each <e>, in order.
    const loaded = loadSimpleXml(
      new TextEncoder().encode('<r><e>a</e><e/><e>0</e><e> </e><e><![CDATA[0]]></e><e>&#48;</e><e><!--c-->0</e><e>&amp;</e><e><?p?></e><e a="1"/></r>'),
    );
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const elements = childrenNamed(loaded.document.root, 'e');
    expect(elements.map((e) => e.text)).toEqual(['a', '', '0', ' ', '0', '0', '0', '&', '', '']);
    expect(elements.map((e) => e.emptyLikePhp)).toEqual([false, true, true, false, false, true, false, false, false, true]);
  });

  it('reports the BOM, the declaration and the encoding it decoded with', () => {
    const latin1 = new Uint8Array(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><x><result>0</result><message>caf\xe9</message></x>', 'latin1'));
    const loaded = loadSimpleXml(latin1);
    expect(loaded.ok && loaded.document).toMatchObject({ encoding: 'ISO-8859-1', hasBom: false, hasXmlDeclaration: true });
    const bom = loadSimpleXml(new TextEncoder().encode('\ufeff<x><result>1</result></x>'));
    expect(bom.ok && bom.document).toMatchObject({ encoding: 'UTF-8', hasBom: true, hasXmlDeclaration: false });
  });

  it('explains why a body is refused', () => {
    const loaded = loadSimpleXml(new TextEncoder().encode('<x><result>0</result><message>Tom & Jerry</message></x>'));
    expect(loaded).toEqual({ ok: false, error: expect.stringContaining('no name') });
  });
});
