import { writeFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import type { CliIo } from './io.js';
import { type InitAnswers, recommendConfiguration } from './init-advice.js';

const HELP = `Usage: tessera init [--output FILE] [--cross-domain yes|no] [--distributed yes|no] [--high-security yes|no] [--force]

Asks the three questions that decide between session cookies and tokens, then writes a
configuration file (default tessera.config.json; start with TESSERA_CONFIG=FILE) and explains
each choice. Answer on the command line to run without prompts.`;

/** `tessera init`. */
export async function runInit(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      output: { type: 'string', default: 'tessera.config.json' },
      'cross-domain': { type: 'string' },
      distributed: { type: 'string' },
      'high-security': { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const output = values.output as string;
  if (existsSync(output) && !values.force) {
    io.err(`${output} exists; pass --force to overwrite it or --output to choose another file.`);
    return 1;
  }
  const questions: Array<[keyof InitAnswers, string, string | undefined]> = [
    ['crossDomain', 'Do clients run on other domains or platforms (mobile apps, CLIs, third-party front ends)?', values['cross-domain']],
    ['distributed', 'Will several servers or microservices need to check who the user is?', values.distributed],
    ['highSecurity', 'Are the security requirements high (finance, health, admin consoles: instant revocation, short sessions)?', values['high-security']],
  ];
  const answers: Partial<Record<keyof InitAnswers, boolean>> = {};
  const rl = questions.some(([, , given]) => given === undefined) ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  try {
    for (const [key, question, given] of questions) {
      let answer = given;
      while (answer === undefined || !/^(y|yes|n|no)$/i.test(answer)) {
        if (!rl) {
          io.err(`--${key} must be yes or no.`);
          return 2;
        }
        answer = (await rl.question(`${question} [y/n] `)).trim();
      }
      answers[key] = /^y/i.test(answer);
    }
  } finally {
    rl?.close();
  }
  const advice = recommendConfiguration(answers as InitAnswers);
  writeFileSync(output, `${JSON.stringify(advice.config, null, 2)}\n`, { mode: 0o600 });
  io.out(`Wrote ${output}. Start with: TESSERA_CONFIG=${output} npm start\n`);
  for (const line of advice.explanation) io.out(`- ${line}`);
  return 0;
}
