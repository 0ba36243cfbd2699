// Writes operator/src/secl/FIELDS.md, the SECL field table, from the model (make generate).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderFieldsMarkdown } from '../src/secl/fields-doc.ts';

const target = fileURLToPath(new URL('../src/secl/FIELDS.md', import.meta.url));
writeFileSync(target, renderFieldsMarkdown());
