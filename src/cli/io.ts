import { createInterface } from 'node:readline';

/** The CLI's input and output, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
  /** Prompts without echo; null when there is no terminal to prompt on. */
  promptSecret(question: string): Promise<string | null>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process's IO. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    promptSecret(question) {
      if (!process.stdin.isTTY) return Promise.resolve(null);
      return new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
        // Mute the echo of typed characters: the password never appears on screen.
        const output = rl as unknown as { _writeToOutput: (s: string) => void };
        process.stdout.write(question);
        output._writeToOutput = () => undefined;
        rl.question('', (answer) => {
          rl.close();
          process.stdout.write('\n');
          resolve(answer);
        });
      });
    },
    env: process.env,
  };
}
