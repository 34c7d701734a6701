pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// One host's services (or all hosts') as a sortable, filterable table: click a header to sort,
// drag its edge to resize, Up/Down to move the selection, Ctrl+F to filter.
Item {
    id: view
    required property ClusterConnection connection
    // False while another view is shown (Main.qml): the models then hold their updates.
    property bool current: true
    property string host: "" // "" = all hosts
    property alias filterText: search.text
    property alias proxy: proxy
    function focusSearch() { search.forceActiveFocus(); search.selectAll() }

    HostListModel { id: hosts; cluster: view.connection ? view.connection.state : null; active: view.current }
    ServiceTableModel {
        id: services
        cluster: view.connection ? view.connection.state : null
        active: view.current
        host: view.host
    }
    ServiceFilterModel { id: proxy; source: services }

    // The table's columns (ServiceTableModel::Column): a stable key for objectNames and a share
    // of the width until the person drags a column edge.
    readonly property var columnKeys: ["name", "health", "id", "address", "port", "protocol",
                                       "tags", "container", "image", "routed", "age"]
    readonly property var columnShares: [0.09, 0.105, 0.12, 0.09, 0.062, 0.055, 0.06, 0.085, 0.09,
                                         0.175, 0.068]
    property var userWidths: [] // set once a column was resized by hand
    property string selectedId: "" // the selected service; survives sorting and updates

    // Each column's width: its share of the table until a column edge was dragged.
    readonly property var widths: {
        const w = []
        for (let i = 0; i < columnKeys.length; ++i)
            w.push(userWidths.length === columnKeys.length
                   ? userWidths[i] : Math.max(48, Math.floor((table.width - 1) * columnShares[i])))
        return w
    }
    readonly property real tableWidth: widths.reduce((sum, w) => sum + w, 0)
    // The cells' fonts, shared: one binding per cell. Qt.application is a QQuickApplication
    // here, which has `font`; the 6.4 qmllint types it as QQmlApplication, which has not.
    readonly property font plainFont: Qt.font({family: Qt.application.font.family, pixelSize: 13}) // qmllint disable type
    readonly property font boldFont: Qt.font({family: Qt.application.font.family, pixelSize: 13, bold: true}) // qmllint disable type
    readonly property font monoFont: Qt.font({family: Theme.monoFont, pixelSize: 12})

    function columnWidth(c) { return widths[c] }
    function resizeColumn(c, w) {
        const next = widths.slice()
        next[c] = Math.max(40, Math.round(w))
        userWidths = next
    }
    // The cell of a column in a row that is shown, or null (tests read cells through it).
    function cellAt(column, row) {
        const item = table.itemAtIndex(row)
        // itemAtIndex() is typed as Item; the row delegate below has cell().
        return item ? item.cell(column) : null // qmllint disable type
    }
    // Scrolls sideways until the whole column is in view.
    function positionViewAtColumn(column) {
        let left = 0
        for (let i = 0; i < column; ++i)
            left += widths[i]
        const right = left + widths[column]
        if (right > table.contentX + table.width)
            table.contentX = Math.min(right - table.width, Math.max(0, tableWidth - table.width))
        if (left < table.contentX)
            table.contentX = left
    }
    // Up/Down/PageUp/PageDown/Home/End: moves the selection by `delta` rows and keeps it in view.
    function moveSelection(delta) {
        if (proxy.count === 0)
            return
        const current = proxy.rowOfService(selectedId)
        const next = current < 0 ? (delta > 0 ? 0 : proxy.count - 1)
                                 : Math.max(0, Math.min(proxy.count - 1, current + delta))
        selectedId = proxy.get(next, "serviceId")
        table.positionViewAtIndex(next, ListView.Contain)
    }
    // `now` is WallClock.now, so a cell's age re-evaluates when the shared clock ticks.
    function age(t, now) {
        if (!t || isNaN(t.getTime()))
            return "—"
        const s = Math.max(0, Math.floor((now.getTime() - t.getTime()) / 1000))
        if (s < 60) return s + " s"
        if (s < 3600) return Math.floor(s / 60) + " min"
        if (s < 86400) return Math.floor(s / 3600) + " h"
        return Math.floor(s / 86400) + " d"
    }

    RowLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        Rectangle {
            Layout.preferredWidth: 200
            Layout.fillHeight: true
            color: Theme.surface
            border.color: Theme.border
            radius: Theme.radius
            ColumnLayout {
                anchors.fill: parent
                anchors.margins: 4
                spacing: 0
                // Above the list, not its header: Qt 6.4's ListView cannot build a header from
                // a component in a `ComponentBehavior: Bound` file ("Cannot instantiate bound
                // component outside its creation context"), and leaves it out.
                ItemDelegate {
                    id: allHosts
                    Layout.fillWidth: true
                    text: qsTr("All hosts")
                    highlighted: view.host === ""
                    onClicked: view.host = ""
                    contentItem: Label { textFormat: Text.PlainText; text: allHosts.text; color: Theme.text; font.bold: true }
                    background: Rectangle { color: allHosts.highlighted ? Theme.selection : "transparent"; radius: 4 }
                }
                ListView {
                    id: picker
                    objectName: "hostPicker"
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    clip: true
                    model: hosts
                    delegate: ItemDelegate {
                        id: hostItem
                        required property string hostname
                        required property bool up
                        required property int serviceCount
                        width: picker.width
                        highlighted: view.host === hostname
                        onClicked: view.host = hostname
                        contentItem: RowLayout {
                            Rectangle { width: 8; height: 8; radius: 4; color: hostItem.up ? Theme.good : Theme.bad }
                            Label { textFormat: Text.PlainText; text: hostItem.hostname; color: Theme.text; Layout.fillWidth: true; elide: Text.ElideRight }
                            Label { textFormat: Text.PlainText; text: hostItem.serviceCount; color: Theme.subtext }
                        }
                        background: Rectangle { color: hostItem.highlighted ? Theme.selection : "transparent"; radius: 4 }
                    }
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 8

            StatusBanner {
                Layout.fillWidth: true
                status: services.statusName
                errorString: services.errorString
                stale: services.count > 0
                emptyText: services.count === 0
                           ? (view.host === "" ? qsTr("No services are registered on any host.")
                                               : qsTr("%1 has no services registered.").arg(view.host))
                           : proxy.count === 0 ? qsTr("No service matches “%1”.").arg(search.text) : ""
            }
            RowLayout {
                Label {
                    textFormat: Text.PlainText
                    text: (view.host === "" ? qsTr("All hosts") : view.host) + " · "
                          + (proxy.count === services.count
                             ? (services.count === 1 ? qsTr("1 service") : qsTr("%1 services").arg(services.count))
                             : qsTr("%1 of %2 services").arg(proxy.count).arg(services.count))
                    color: Theme.text
                    font.pixelSize: 15
                    font.bold: true
                    Layout.fillWidth: true
                }
                SearchField {
                    id: search
                    objectName: "serviceSearch"
                    onTextChanged: proxy.filterText = text
                    Keys.onDownPressed: { table.forceActiveFocus(); view.moveSelection(1) }
                }
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                color: Theme.surface
                border.color: Theme.border
                radius: Theme.radius
                clip: true
                Item { // the column titles, scrolled sideways with the rows
                    id: tableHeader
                    objectName: "serviceTableHeader"
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 1
                    height: 30
                    clip: true
                    Row {
                        x: -table.contentX
                        Repeater {
                            model: view.columnKeys.length
                            delegate: ServiceTableHeader {
                                required property int index
                                column: index
                                display: view.proxy.headerData(index, Qt.Horizontal)
                                width: view.widths[index]
                                proxy: view.proxy
                                key: view.columnKeys[index]
                                onResizeRequested: (c, w) => view.resizeColumn(c, w)
                            }
                        }
                    }
                }
                // A list of rows, not a TableView: Qt 6.4's TableView rebuilds every visible
                // cell after a row is inserted or removed (up to 200 ms at 1000 events/s).
                ListView {
                    id: table
                    objectName: "serviceTable"
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: tableHeader.bottom
                    anchors.bottom: parent.bottom
                    anchors.margins: 1
                    anchors.topMargin: 0
                    clip: true
                    focus: true
                    activeFocusOnTab: true
                    reuseItems: true
                    boundsBehavior: Flickable.StopAtBounds
                    flickableDirection: Flickable.AutoFlickIfNeeded
                    contentWidth: view.tableWidth
                    model: proxy
                    ScrollBar.vertical: ScrollBar {}
                    ScrollBar.horizontal: ScrollBar {}
                    Keys.onUpPressed: view.moveSelection(-1)
                    Keys.onDownPressed: view.moveSelection(1)
                    Keys.onPressed: event => {
                        const page = Math.max(1, Math.floor(table.height / 28) - 1)
                        if (event.key === Qt.Key_PageDown) view.moveSelection(page)
                        else if (event.key === Qt.Key_PageUp) view.moveSelection(-page)
                        else if (event.key === Qt.Key_Home) view.moveSelection(-proxy.count)
                        else if (event.key === Qt.Key_End) view.moveSelection(proxy.count)
                        else if (event.key === Qt.Key_Escape) view.selectedId = ""
                        else return
                        event.accepted = true
                    }
                    delegate: Rectangle {
                        id: row
                        required property int index
                        required property string name
                        required property string health
                        required property string healthText
                        required property string serviceId
                        required property string ip
                        required property int port
                        required property string protocol
                        required property string tags
                        required property string containerName
                        required property string image
                        required property string routedBy
                        required property var registeredAt
                        readonly property bool selected: serviceId === view.selectedId
                        function cell(column) { return cells.children[column] || null }
                        width: view.tableWidth
                        height: 28
                        // Transparent over the table's own surface colour: no scene graph node
                        // for half the rows, which the software renderer redraws after each batch.
                        color: selected ? Theme.selection : index % 2 ? Theme.surfaceAlt : "transparent"
                        Row {
                            id: cells
                            height: parent.height
                            ServiceCell { column: 0; display: row.name; serviceId: row.serviceId; selected: row.selected; width: view.widths[0]; textColor: Theme.text; font: view.boldFont }
                            ServiceCell {
                                column: 1; display: row.healthText; serviceId: row.serviceId; selected: row.selected; width: view.widths[1]
                                textColor: row.health === "healthy" ? Theme.good
                                         : row.health === "unhealthy" ? Theme.bad
                                         : row.health === "starting" || row.health === "stopping" ? Theme.warn
                                         : Theme.subtext
                                font: row.health !== "none" && row.health !== "" ? view.boldFont : view.plainFont
                            }
                            ServiceCell { column: 2; display: row.serviceId; serviceId: row.serviceId; selected: row.selected; width: view.widths[2]; font: view.monoFont }
                            ServiceCell { column: 3; display: row.ip; serviceId: row.serviceId; selected: row.selected; width: view.widths[3]; font: view.monoFont }
                            ServiceCell { column: 4; display: row.port; serviceId: row.serviceId; selected: row.selected; width: view.widths[4]; font: view.monoFont }
                            ServiceCell { column: 5; display: row.protocol; serviceId: row.serviceId; selected: row.selected; width: view.widths[5]; font: view.plainFont }
                            ServiceCell { column: 6; display: row.tags; serviceId: row.serviceId; selected: row.selected; width: view.widths[6]; font: view.plainFont }
                            ServiceCell { column: 7; display: row.containerName; serviceId: row.serviceId; selected: row.selected; width: view.widths[7]; font: view.plainFont }
                            ServiceCell { column: 8; display: row.image; serviceId: row.serviceId; selected: row.selected; width: view.widths[8]; font: view.plainFont }
                            ServiceCell {
                                column: 9; display: row.routedBy; serviceId: row.serviceId; selected: row.selected; width: view.widths[9]; font: view.plainFont
                                textColor: row.routedBy.startsWith("no traffic") ? Theme.bad : row.selected ? Theme.text : Theme.subtext
                            }
                            // `now` is WallClock.now: the age re-evaluates when the shared clock ticks.
                            ServiceCell { column: 10; display: view.age(row.registeredAt, WallClock.now); serviceId: row.serviceId; selected: row.selected; width: view.widths[10]; font: view.plainFont }
                        }
                        Rectangle { // the selected row's marker, with focus in the table
                            visible: row.selected
                            width: 3
                            height: parent.height
                            color: table.activeFocus ? Theme.accent : Theme.border
                        }
                        TapHandler {
                            onTapped: {
                                view.selectedId = row.serviceId
                                table.forceActiveFocus()
                            }
                        }
                    }
                }
                Placeholder {
                    anchors.centerIn: table
                    hint: table.count === 0 ? qsTr("No rows to show: see the banner above.") : ""
                }
            }
        }
    }
}
