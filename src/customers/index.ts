export { customerCommands, type CustomerCommands } from './commands';
export { customerResolvers } from './resolvers';
export { customersProjector } from './projector';
