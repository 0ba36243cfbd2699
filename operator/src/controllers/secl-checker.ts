// The SECL engine as the catalog sees it.
import { checkRules, parseMacroExpression } from '../secl/index.ts';
import type { RuleChecker } from './catalog.ts';

export const seclChecker: RuleChecker = {
  checkRules: (rules, macros) => checkRules(rules, macros),
  parseMacro: (expression) => {
    parseMacroExpression(expression);
  },
};
