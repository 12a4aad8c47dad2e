import { it } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import { send } from '../helpers/http.js';
import { withBigLimits, register, uniqueEmail, PASSWORD } from '../security/support.js';
it('dbg', async () => {
  const server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
  const email = uniqueEmail('close');
  await register(server, email);
  let closing: Promise<void> | null = null;
  const t0 = Date.now();
  server.app.server.once('request', () => { console.log('request event', Date.now()-t0); closing = server.close(); (closing as Promise<void>).then(()=>console.log('closed', Date.now()-t0), (e)=>console.log('close err', e)); });
  const p = send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
  p.then((r)=>console.log('response', r.status, r.headers.get('connection'), Date.now()-t0, r.text.slice(0,200)), (e)=>console.log('fetch err', e, Date.now()-t0));
  await p.catch(()=>{});
  await closing;
  console.log(server.logs.slice(-3).join('\n'));
}, 120000);
