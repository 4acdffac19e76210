// The example from the command line: URL (default http://127.0.0.1:4000/graphql) and TOKEN (a staff or admin
// token, e.g. TOKEN=$(npm run -s token -- --role admin)) from the environment.
import { GraphQLRequestError } from './client';
import { runExample } from './example';

const url = process.env.URL ?? 'http://127.0.0.1:4000/graphql';
const token = process.env.TOKEN;
if (!token) {
  console.error('Set TOKEN to a staff or admin token: TOKEN=$(npm run -s token -- --role admin)');
  process.exit(2);
}

runExample({ url, token, log: (line) => console.log(line) }).catch((error: unknown) => {
  console.error(error instanceof GraphQLRequestError ? `The server refused: ${error.message}` : error);
  process.exit(1);
});
