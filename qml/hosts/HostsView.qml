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

    function columnWidth(c) {
        if (userWidths.length === columnKeys.length)
            return userWidths[c]
        return Math.max(48, Math.floor((table.width - 1) * columnShares[c]))
    }
    function resizeColumn(c, w) {
        const widths = []
        for (let i = 0; i < columnKeys.length; ++i)
            widths.push(i === c ? Math.max(40, Math.round(w)) : columnWidth(i))
        userWidths = widths
        table.forceLayout()
    }
    // Up/Down/PageUp/PageDown/Home/End: moves the selection by `delta` rows and keeps it in view.
    function moveSelection(delta) {
        if (proxy.count === 0)
            return
        const current = proxy.rowOfService(selectedId)
        const next = current < 0 ? (delta > 0 ? 0 : proxy.count - 1)
                                 : Math.max(0, Math.min(proxy.count - 1, current + delta))
        selectedId = proxy.get(next, "serviceId")
        table.positionViewAtRow(next, TableView.Contain)
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
                HorizontalHeaderView {
                    id: tableHeader
                    objectName: "serviceTableHeader"
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.top: parent.top
                    anchors.margins: 1
                    syncView: table
                    clip: true
                    delegate: ServiceTableHeader {
                        proxy: view.proxy
                        key: view.columnKeys[column] || ""
                        onResizeRequested: (c, w) => view.resizeColumn(c, w)
                    }
                }
                TableView {
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
                    boundsBehavior: Flickable.StopAtBounds
                    model: proxy
                    columnWidthProvider: column => view.columnWidth(column)
                    onWidthChanged: forceLayout()
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
                        id: cell
                        required property int row
                        required property int column
                        required property string display
                        required property string serviceId
                        required property var registeredAt
                        required property string health
                        readonly property bool selected: serviceId === view.selectedId
                        // Health (column 1) and a routed instance that gets no traffic (column
                        // 9) in their colours; the rest in the table's.
                        readonly property color textColor: {
                            if (column === 1)
                                return health === "healthy" ? Theme.good
                                     : health === "unhealthy" ? Theme.bad
                                     : health === "starting" || health === "stopping" ? Theme.warn
                                     : Theme.subtext
                            if (column === 9 && display.startsWith("no traffic"))
                                return Theme.bad
                            return column === 0 || selected ? Theme.text : Theme.subtext
                        }
                        objectName: "serviceCell"
                        implicitHeight: 28
                        // Transparent over the table's own surface colour: no scene graph node
                        // for half the cells, which the software renderer redraws after each batch.
                        color: selected ? Theme.selection : row % 2 ? Theme.surfaceAlt : "transparent"
                        Rectangle { // the selected row's marker, with focus in the table
                            visible: cell.selected && cell.column === 0
                            width: 3
                            height: parent.height
                            color: table.activeFocus ? Theme.accent : Theme.border
                        }
                        Text { // not a Label: a plain Text is cheaper to re-bind when cells are reused
                            anchors.fill: parent
                            leftPadding: 8
                            rightPadding: 6
                            verticalAlignment: Text.AlignVCenter
                            elide: Text.ElideRight
                            textFormat: Text.PlainText
                            text: cell.column === 10 ? view.age(cell.registeredAt, WallClock.now)
                                                     : cell.display
                            color: cell.textColor
                            font.bold: cell.column === 0
                                       || (cell.column === 1 && cell.health !== "none" && cell.health !== "")
                            // Qt.application is a QQuickApplication here, which has `font`; the
                            // 6.4 qmllint types it as QQmlApplication, which has not.
                            font.family: cell.column >= 2 && cell.column <= 4 ? Theme.monoFont
                                                                              : Qt.application.font.family // qmllint disable type
                            font.pixelSize: cell.column >= 2 && cell.column <= 4 ? 12 : 13
                        }
                        TapHandler {
                            onTapped: {
                                view.selectedId = cell.serviceId
                                table.forceActiveFocus()
                            }
                        }
                    }
                }
                Placeholder {
                    anchors.centerIn: table
                    hint: table.rows === 0 ? qsTr("No rows to show: see the banner above.") : ""
                }
            }
        }
    }
}
