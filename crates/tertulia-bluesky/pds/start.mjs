// Starts a PLC directory and a PDS for tertulia's tests and prints one JSON
// line with their addresses when they are ready. Every listener binds to
// 127.0.0.1 only: the PDS and PLC servers listen on a bare port (all
// interfaces), so listen() is told the host before they start.
import net from 'node:net'
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && !args[0].host && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}
const { TestNetworkNoAppView } = await import('@atproto/dev-env')
const plcPort = Number(process.env.PLC_PORT || 2582)
const pdsPort = Number(process.env.PDS_PORT || 2583)
const network = await TestNetworkNoAppView.create({
  plc: { port: plcPort },
  // Rate limits on, as on a real PDS; a test that checks what the PDS holds
  // reads past them with this key (the connectors never send it).
  pds: { port: pdsPort, rateLimitsEnabled: true, rateLimitBypassKey: 'tertulia-test-reader' },
})
console.log(JSON.stringify({ pds: network.pds.url, plc: network.plc.url }))
const stop = async () => { await network.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
