/**
 * The part of @xmldom/xmldom the bridge uses, typed here: tsconfig.json's "paths" points the package's types at this
 * file, because its own typings reference the browser's DOM library, whose fetch types clash with Node's. At run
 * time the import is the package itself.
 */
import type { XmlDocument, XmlNode } from './xml-dom.js';

export declare class DOMParser {
  constructor(options: { errorHandler: Record<'warning' | 'error' | 'fatalError', (message: string) => void> });
  parseFromString(text: string, mimeType: string): XmlDocument;
}

export declare class XMLSerializer {
  serializeToString(node: XmlNode): string;
}
