export { customerCommands, type CustomerCommands } from './commands';
export { customerResolvers } from './resolvers';
