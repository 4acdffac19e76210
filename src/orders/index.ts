export { orderCommands, type OrderCommands } from './commands';
export { orderResolvers } from './resolvers';
export { ordersProjector } from './projector';
