import QtQuick
import QtTest
import Portolan.Dashboard
import Portolan.Models

// Container metadata (names, ids, tags, images, hostnames, addresses) is untrusted: every view
// shows it exactly as typed. A cluster under its own prefix (/hostile) holds records full of
// markup; each view is loaded against it and every Text in it, delegates and filter popups
// included, must be plain text, show the raw string and be as wide as the raw string is.
TestCase {
    id: test
    name: "PlainText"
    when: windowShown
    width: 800
    height: 600
    visible: true

    readonly property string prefix: "/hostile"
    // Hostnames are etcd key segments too, so they carry no "/" (and no closing tags).
    readonly property string hostA: "<b>bold&lt;"
    readonly property string hostB: "<i>" + "H".repeat(10240) // a 10 KB hostname
    readonly property string serviceName: "<i>pwn</i><img src=x>"
    readonly property string longName: "<b>" + "W".repeat(10240) + "</b>" // a 10 KB name
    readonly property string serviceId: "<u>id</u>:80"
    readonly property string container: "\u202Eevil.1<br>" // RTL override
    readonly property string image: "<b>img</b>:&lt;1"
    readonly property string tag: "<u>tag</u>"
    readonly property string ip: "<s>10.9.9.9</s>"
    readonly property string dockerVersion: "<img src=x>"
    readonly property string rawKey: prefix + "/raw/<img src=x>&lt;<b>b"
    readonly property string health: "<b>sick</b>"
    // A portolan-lb record: its name is a key segment too.
    readonly property string lbName: "<b>lb&lt;"
    readonly property string lbHost: "<i>edge</i>"
    readonly property string lbError: "<b>refused</b> &amp; <img src=x>"
    readonly property string backend: "<u>be</u>"

    ClusterConnection { id: hostile; portolanPrefix: test.prefix }
    Component { id: overview; OverviewView { width: 780; height: 560; connection: hostile } }
    Component { id: hosts; HostsView { width: 780; height: 560; connection: hostile } }
    Component { id: services; ServicesView { width: 780; height: 560; connection: hostile } }
    Component { id: events; EventsView { width: 780; height: 560; connection: hostile } }
    Component { id: tree; KeyTreeView { width: 780; height: 560; connection: hostile } }
    Component { id: balancers; BalancersView { width: 780; height: 560; connection: hostile } }
    TextMetrics { id: metrics }

    function hostRecord(name) {
        return JSON.stringify({ hostname: name, address: ip, agentVersion: "0.1.0",
                                dockerVersion: dockerVersion })
    }
    function serviceRecord(id, name) {
        return JSON.stringify({ id: id, name: name, host: hostA, ip: ip, port: 80, protocol: "tcp",
                                tags: [tag], attributes: { "<b>k</b>": "<i>v</i>" },
                                containerId: "<b>8f1c</b>", containerName: container,
                                image: image, key: "/services/x/" + id,
                                registeredAt: "2026-11-27T05:00:01.000Z", health: health })
    }

    function initTestCase() {
        verify(testEtcd.removePrefix(prefix + "/"))
        verify(testEtcd.put(prefix + "/hosts/" + hostA, hostRecord(hostA)))
        verify(testEtcd.put(prefix + "/hosts/" + hostB, hostRecord(hostB)))
        verify(testEtcd.put(prefix + "/services/" + hostA + "/1", serviceRecord(serviceId, serviceName)))
        verify(testEtcd.put(prefix + "/services/" + hostA + "/2", serviceRecord("long:80", longName)))
        verify(testEtcd.put(rawKey, serviceRecord(serviceId, serviceName)))
        verify(testEtcd.put(prefix + "/balancers/" + lbName, JSON.stringify({
            name: lbName, host: lbHost, driver: dockerVersion, driverVersion: tag, version: image,
            lastApplyAt: "2026-11-27T05:00:02.000Z", lastApplyMethod: tag, lastError: lbError,
            lastErrorAt: "2026-11-27T05:00:03.000Z", startedAt: "2026-11-27T05:00:00.000Z",
            routes: [{ service: serviceName, backend: backend, servers: 1, ready: 0 }] })))
        hostile.connectToEtcd(testConnection.target)
        tryCompare(hostile, "statusName", "ready", 10000)
    }
    function cleanupTestCase() {
        testEtcd.removePrefix(prefix + "/") // the other tests list "/" and count its folders
    }

    // Text, Label and TextEdit items under `root` (visual children, so delegates too).
    function textItems(root) {
        const found = []
        const walk = item => {
            if (item.textFormat !== undefined && typeof item.text === "string")
                found.push(item)
            for (let i = 0; i < item.children.length; ++i)
                walk(item.children[i])
        }
        walk(root)
        return found
    }
    // The Controls' own labels (a Button's IconLabel, a CheckBox's label, a TextField's
    // placeholder) may stay AutoText as long as they never show untrusted text.
    function isControlsInternal(item) {
        return /^QQuick(IconLabel|PlaceholderText)/.test(String(item.parent))
               || /^QQuickPlaceholderText/.test(String(item))
               || (item.parent && item.parent.contentItem === item)
    }
    function untrusted(text) { return /[<>&\u202E]/.test(text) }

    // Every Text of ours is plain; every Text showing untrusted text is plain and as wide as its
    // raw string (rich text would drop the tags and be narrower); `expected` strings are each
    // shown by some Text, `exact` ones as that Text's whole text.
    function checkTexts(items, expected, exact) {
        let shown = 0
        for (const item of items) {
            const what = String(item) + " " + JSON.stringify(item.text.slice(0, 60))
            if (untrusted(item.text)) {
                ++shown
                compare(item.textFormat, Text.PlainText, what + " shows container data as plain text")
                if (item.text.indexOf("\n") >= 0)
                    continue // the value pane's JSON: one width per line, not one for the text
                metrics.font = item.font
                metrics.text = item.text
                const natural = item.implicitWidth - item.leftPadding - item.rightPadding
                verify(Math.abs(natural - metrics.advanceWidth) <= 2 + metrics.advanceWidth * 0.01,
                       what + " is " + natural + " px wide, its raw text " + metrics.advanceWidth)
            } else if (!isControlsInternal(item)) {
                compare(item.textFormat, Text.PlainText, what + " is plain text")
            }
        }
        verify(shown > 0, "some Text shows the hostile records")
        for (const raw of expected)
            verify(items.some(t => t.text.indexOf(raw) >= 0), "shown: " + raw.slice(0, 60))
        for (const raw of exact || [])
            verify(items.some(t => t.text === raw), "shown as the whole text: " + raw.slice(0, 60))
    }

    function test_overview() {
        const view = createTemporaryObject(overview, test)
        tryCompare(findChild(view, "hostList"), "count", 2)
        waitForRendering(view)
        checkTexts(textItems(view), [ip + " · Docker " + dockerVersion], [hostA, hostB])
    }

    function test_hostTableAndPicker() {
        const view = createTemporaryObject(hosts, test)
        const table = findChild(view, "serviceTable")
        tryCompare(table, "count", 2)
        tryCompare(findChild(view, "hostPicker"), "count", 2)
        waitForRendering(view)
        checkTexts(textItems(view), [], [hostA, hostB, serviceName, longName, serviceId, tag,
                                        container, image, ip, health,
                                        "no traffic · " + lbName + " as " + backend])
        // A host without services: its name in the title and in the banner.
        view.host = hostB
        tryCompare(table, "count", 0)
        waitForRendering(view)
        const banner = findChild(view, "statusBannerText")
        compare(banner.text, hostB + " has no services registered.")
        checkTexts(textItems(view), [hostB + " · "], [banner.text])
    }

    function test_servicesGrouped() {
        const view = createTemporaryObject(services, test)
        tryCompare(findChild(view, "serviceGroups"), "count", 2)
        waitForRendering(view)
        checkTexts(textItems(view), [hostA + "  " + ip + ":80  " + container],
                   [serviceName + ": 1 instance on " + hostA, longName + ": 1 instance on " + hostA,
                    health, "routed by " + lbName + " as " + backend + " (0 of 1 ready)"])
    }

    function test_events() {
        const view = createTemporaryObject(events, test)
        const feed = findChild(view, "eventFeed")
        tryVerify(() => feed.count >= 4)
        waitForRendering(view)
        checkTexts(textItems(view), [], [hostA, serviceName + "  (" + serviceId + ")", ip + ":80"])
        // The filters list host and service names too, in their popups.
        for (const [box, raw] of [["hostFilter", hostA], ["serviceFilter", serviceName]]) {
            const combo = findChild(view, box)
            combo.popup.open()
            tryCompare(combo.popup, "opened", true)
            waitForRendering(combo.popup.contentItem)
            checkTexts(textItems(combo.popup.contentItem), [], [raw])
            combo.popup.close()
            tryCompare(combo.popup, "visible", false)
        }
    }

    function test_keyTreeAndValue() {
        const view = createTemporaryObject(tree, test)
        view.prefix = prefix + "/raw/"
        view.model.rootPrefix = prefix + "/raw/"
        tryCompare(findChild(view, "keyTree"), "rows", 1)
        view.model.selectKey(rawKey)
        const pane = findChild(view, "valuePane")
        tryVerify(() => pane.selected.found === true)
        waitForRendering(view)
        checkTexts(textItems(view), ['"name": "' + serviceName + '"'],
                   [rawKey, "<img src=x>&lt;<b>b"])
    }

    function test_balancers() {
        const view = createTemporaryObject(balancers, test)
        tryCompare(findChild(view, "balancerList"), "count", 1)
        waitForRendering(view)
        checkTexts(textItems(view), [],
                   [lbName, "on " + lbHost, dockerVersion + " " + tag, lbError, serviceName, backend,
                    "portolan-lb " + image])
    }
}
