package httphandler

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/invoice"
	"github.com/kassapay/kassa/refund"
	"github.com/kassapay/kassa/submerchant"
	"github.com/kassapay/kassa/validation"
	"github.com/shopspring/decimal"
	"rsc.io/qr"
)

// The hosted checkout page: server-rendered, its CSS and JS embedded and served by the
// handler itself (no CDN; a strict Content-Security-Policy allows nothing else).

//go:embed page
var pageFS embed.FS

var pageTmpl = template.Must(template.ParseFS(pageFS, "page/checkout.html"))

// pageCSP allows the page's own CSS, JS and status endpoint, and nothing else.
const pageCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// texts are the page's words in one language.
type texts struct {
	Lang, Title, TestMode, Total, Paid, PaidText, Continue, Cancelled, CancelledText, Expired, ExpiredText,
	Choose, Send, Partial, Remaining, Confirming, SendOnly, On, OtherLost, Scan, Address,
	Amount, Copy, OpenWallet, ExpiresIn, Back, Footer, NotFound, NotFoundText, TestPay, Of,
	Detected, NothingToPay, Waiting, Received, Return, Transaction string
	// ExpiredPartial and Overpaid are formats of what was received (%[1]s) and what was
	// due (%[2]s), both with their currency.
	ExpiredPartial, Overpaid string
	// OverpaidBack and ExpiredBack replace Overpaid and ExpiredPartial when Kassa gives
	// the money back itself (a rebound's claim link follows them).
	OverpaidBack, ExpiredBack string
	// LateBack says a late payment is given back (a paid_late invoice's rebound).
	LateBack string
	// ClaimBack is the rebound claim link's text, a format of the amount (%s) with its
	// currency.
	ClaimBack string
}

var languages = map[string]texts{
	"en": {Lang: "en", LateBack: "This payment came after the time to pay had run out, so it is given back. Tell us where to send it:",
		OverpaidBack: "We received %[1]s, more than the %[2]s due. Tell us where to send the difference back:", ExpiredBack: "We received %[1]s of %[2]s before the time ran out. Do not send more to this address. Tell us where to send it back:",
		ClaimBack: "Get %s back", Title: "Payment", TestMode: "Test mode: no real money moves.", Total: "Total",
		Paid: "Payment received", PaidText: "Thank you, your payment is confirmed.", Continue: "Continue",
		Cancelled: "Payment cancelled", CancelledText: "This payment was cancelled. Do not send anything to its address.",
		Expired: "Payment expired", ExpiredText: "The time to pay is over. Do not send anything to its address; start again from the shop.",
		Choose: "Pay with", Send: "Send", Partial: "We received", Remaining: "Still to pay:",
		Confirming: "Payment detected, waiting for the network's confirmations",
		SendOnly:   "Send only", On: "on", OtherLost: "Any other coin or network will be lost.",
		Scan: "Scan with your wallet: address and exact amount included.", Address: "Address", Amount: "Amount",
		Copy: "Copy", OpenWallet: "Open in wallet", ExpiresIn: "Time left:", Back: "Cancel and return to the shop",
		Footer: "Payments by Kassa", NotFound: "Not found", NotFoundText: "There is no payment here.",
		TestPay: "Pay with test funds", Of: "of",
		Detected: "Payment detected", NothingToPay: "Nothing more to pay: this page updates by itself until the payment is confirmed.",
		Waiting: "Waiting for the network's confirmations", Received: "Received:", Return: "Return to the shop", Transaction: "Transaction:",
		ExpiredPartial: "We received %[1]s of %[2]s before the time ran out. Do not send more to this address. " +
			"Contact the shop about the amount you sent.",
		Overpaid: "We received %[1]s, more than the %[2]s due. The merchant will return the difference: contact the shop to arrange it."},
	"de": {Lang: "de", LateBack: "Diese Zahlung kam nach Ablauf der Zahlungsfrist und wird deshalb zurückgegeben. Sagen Sie uns, wohin wir sie senden sollen:",
		OverpaidBack: "Wir haben %[1]s erhalten, mehr als die fälligen %[2]s. Sagen Sie uns, wohin wir die Differenz zurücksenden sollen:", ExpiredBack: "Wir haben %[1]s von %[2]s erhalten, bevor die Zeit abgelaufen ist. Senden Sie nichts mehr an diese Adresse. Sagen Sie uns, wohin wir den Betrag zurücksenden sollen:",
		ClaimBack: "%s zurückerhalten", Title: "Zahlung", TestMode: "Testmodus: Es wird kein echtes Geld bewegt.", Total: "Gesamt",
		Paid: "Zahlung erhalten", PaidText: "Vielen Dank, Ihre Zahlung ist bestätigt.", Continue: "Weiter",
		Cancelled: "Zahlung storniert", CancelledText: "Diese Zahlung wurde storniert. Senden Sie nichts an ihre Adresse.",
		Expired: "Zahlung abgelaufen", ExpiredText: "Die Zahlungsfrist ist vorbei. Senden Sie nichts an ihre Adresse; beginnen Sie im Shop neu.",
		Choose: "Bezahlen mit", Send: "Senden Sie", Partial: "Wir haben erhalten:", Remaining: "Noch zu zahlen:",
		Confirming: "Zahlung erkannt, warte auf Bestätigungen des Netzwerks",
		SendOnly:   "Senden Sie nur", On: "im Netzwerk", OtherLost: "Jede andere Münze oder jedes andere Netzwerk geht verloren.",
		Scan: "Mit Ihrer Wallet scannen: Adresse und genauer Betrag sind enthalten.", Address: "Adresse", Amount: "Betrag",
		Copy: "Kopieren", OpenWallet: "In Wallet öffnen", ExpiresIn: "Verbleibende Zeit:", Back: "Abbrechen und zurück zum Shop",
		Footer: "Zahlungen mit Kassa", NotFound: "Nicht gefunden", NotFoundText: "Hier gibt es keine Zahlung.",
		TestPay: "Mit Testgeld bezahlen", Of: "von",
		Detected: "Zahlung erkannt", NothingToPay: "Sie müssen nichts mehr zahlen: Diese Seite aktualisiert sich selbst, bis die Zahlung bestätigt ist.",
		Waiting: "Warte auf Bestätigungen des Netzwerks", Received: "Erhalten:", Return: "Zurück zum Shop", Transaction: "Transaktion:",
		ExpiredPartial: "Wir haben %[1]s von %[2]s erhalten, bevor die Zeit abgelaufen ist. Senden Sie nichts mehr an diese Adresse. " +
			"Wenden Sie sich wegen des gesendeten Betrags an den Shop.",
		Overpaid: "Wir haben %[1]s erhalten, mehr als die fälligen %[2]s. Der Händler erstattet die Differenz: Wenden Sie sich dafür an den Shop."},
	"es": {Lang: "es", LateBack: "Este pago llegó cuando el plazo ya había terminado, por eso se devuelve. Indíquenos adónde enviarlo:",
		OverpaidBack: "Recibimos %[1]s, más de los %[2]s debidos. Indíquenos adónde devolver la diferencia:", ExpiredBack: "Recibimos %[1]s de %[2]s antes de que se acabara el tiempo. No envíe más a esta dirección. Indíquenos adónde devolverlo:",
		ClaimBack: "Recuperar %s", Title: "Pago", TestMode: "Modo de prueba: no se mueve dinero real.", Total: "Total",
		Paid: "Pago recibido", PaidText: "Gracias, su pago está confirmado.", Continue: "Continuar",
		Cancelled: "Pago cancelado", CancelledText: "Este pago se canceló. No envíe nada a su dirección.",
		Expired: "Pago caducado", ExpiredText: "El plazo para pagar terminó. No envíe nada a su dirección; vuelva a empezar desde la tienda.",
		Choose: "Pagar con", Send: "Envíe", Partial: "Hemos recibido", Remaining: "Falta por pagar:",
		Confirming: "Pago detectado, esperando las confirmaciones de la red",
		SendOnly:   "Envíe solo", On: "en", OtherLost: "Cualquier otra moneda o red se perderá.",
		Scan: "Escanee con su billetera: incluye la dirección y el importe exacto.", Address: "Dirección", Amount: "Importe",
		Copy: "Copiar", OpenWallet: "Abrir en la billetera", ExpiresIn: "Tiempo restante:", Back: "Cancelar y volver a la tienda",
		Footer: "Pagos con Kassa", NotFound: "No encontrado", NotFoundText: "Aquí no hay ningún pago.",
		TestPay: "Pagar con fondos de prueba", Of: "de",
		Detected: "Pago detectado", NothingToPay: "No queda nada por pagar: esta página se actualiza sola hasta que el pago se confirme.",
		Waiting: "Esperando las confirmaciones de la red", Received: "Recibido:", Return: "Volver a la tienda", Transaction: "Transacción:",
		ExpiredPartial: "Recibimos %[1]s de %[2]s antes de que se acabara el tiempo. No envíe más a esta dirección. " +
			"Contacte con la tienda por el importe que envió.",
		Overpaid: "Recibimos %[1]s, más de los %[2]s debidos. El comercio le devolverá la diferencia: contacte con la tienda para acordarlo."},
	"fr": {Lang: "fr", LateBack: "Ce paiement est arrivé après la fin du délai : il vous est rendu. Indiquez-nous où l'envoyer :",
		OverpaidBack: "Nous avons reçu %[1]s, plus que les %[2]s dus. Indiquez-nous où renvoyer la différence :", ExpiredBack: "Nous avons reçu %[1]s sur %[2]s avant la fin du délai. N'envoyez plus rien à cette adresse. Indiquez-nous où vous le renvoyer :",
		ClaimBack: "Récupérer %s", Title: "Paiement", TestMode: "Mode test : aucun argent réel ne circule.", Total: "Total",
		Paid: "Paiement reçu", PaidText: "Merci, votre paiement est confirmé.", Continue: "Continuer",
		Cancelled: "Paiement annulé", CancelledText: "Ce paiement a été annulé. N'envoyez rien à son adresse.",
		Expired: "Paiement expiré", ExpiredText: "Le délai de paiement est dépassé. N'envoyez rien à son adresse ; recommencez depuis la boutique.",
		Choose: "Payer avec", Send: "Envoyez", Partial: "Nous avons reçu", Remaining: "Reste à payer :",
		Confirming: "Paiement détecté, en attente des confirmations du réseau",
		SendOnly:   "N'envoyez que des", On: "sur", OtherLost: "Toute autre monnaie ou tout autre réseau sera perdu.",
		Scan: "Scannez avec votre portefeuille : adresse et montant exact inclus.", Address: "Adresse", Amount: "Montant",
		Copy: "Copier", OpenWallet: "Ouvrir dans le portefeuille", ExpiresIn: "Temps restant :", Back: "Annuler et revenir à la boutique",
		Footer: "Paiements par Kassa", NotFound: "Introuvable", NotFoundText: "Il n'y a aucun paiement ici.",
		TestPay: "Payer avec des fonds de test", Of: "sur",
		Detected: "Paiement détecté", NothingToPay: "Plus rien à payer : cette page se met à jour d'elle-même jusqu'à la confirmation du paiement.",
		Waiting: "En attente des confirmations du réseau", Received: "Reçu :", Return: "Revenir à la boutique", Transaction: "Transaction :",
		ExpiredPartial: "Nous avons reçu %[1]s sur %[2]s avant la fin du délai. N'envoyez plus rien à cette adresse. " +
			"Contactez la boutique au sujet du montant envoyé.",
		Overpaid: "Nous avons reçu %[1]s, plus que les %[2]s dus. Le marchand vous rendra la différence : contactez la boutique pour l'organiser."},
	"pt": {Lang: "pt", LateBack: "Este pagamento chegou depois de o prazo terminar, por isso é devolvido. Diga-nos para onde o enviar:",
		OverpaidBack: "Recebemos %[1]s, mais do que os %[2]s devidos. Diga-nos para onde devolver a diferença:", ExpiredBack: "Recebemos %[1]s de %[2]s antes de o tempo acabar. Não envie mais nada para este endereço. Diga-nos para onde o devolver:",
		ClaimBack: "Receber %s de volta", Title: "Pagamento", TestMode: "Modo de teste: nenhum dinheiro real é movimentado.", Total: "Total",
		Paid: "Pagamento recebido", PaidText: "Obrigado, o seu pagamento está confirmado.", Continue: "Continuar",
		Cancelled: "Pagamento cancelado", CancelledText: "Este pagamento foi cancelado. Não envie nada para o seu endereço.",
		Expired: "Pagamento expirado", ExpiredText: "O prazo para pagar terminou. Não envie nada para o seu endereço; recomece a partir da loja.",
		Choose: "Pagar com", Send: "Envie", Partial: "Recebemos", Remaining: "Falta pagar:",
		Confirming: "Pagamento detetado, a aguardar as confirmações da rede",
		SendOnly:   "Envie apenas", On: "na rede", OtherLost: "Qualquer outra moeda ou rede será perdida.",
		Scan: "Leia com a sua carteira: endereço e valor exato incluídos.", Address: "Endereço", Amount: "Valor",
		Copy: "Copiar", OpenWallet: "Abrir na carteira", ExpiresIn: "Tempo restante:", Back: "Cancelar e voltar à loja",
		Footer: "Pagamentos por Kassa", NotFound: "Não encontrado", NotFoundText: "Não há nenhum pagamento aqui.",
		TestPay: "Pagar com fundos de teste", Of: "de",
		Detected: "Pagamento detetado", NothingToPay: "Nada mais a pagar: esta página atualiza-se sozinha até o pagamento ser confirmado.",
		Waiting: "A aguardar as confirmações da rede", Received: "Recebido:", Return: "Voltar à loja", Transaction: "Transação:",
		ExpiredPartial: "Recebemos %[1]s de %[2]s antes de o tempo acabar. Não envie mais nada para este endereço. " +
			"Contacte a loja sobre o valor que enviou.",
		Overpaid: "Recebemos %[1]s, mais do que os %[2]s devidos. O comerciante devolverá a diferença: contacte a loja para combinar."},
	"ru": {Lang: "ru", LateBack: "Этот платёж пришёл после окончания срока оплаты, поэтому он возвращается. Укажите, куда его отправить:",
		OverpaidBack: "Мы получили %[1]s, больше причитающихся %[2]s. Укажите, куда вернуть разницу:", ExpiredBack: "Мы получили %[1]s из %[2]s до истечения срока. Больше ничего не отправляйте на этот адрес. Укажите, куда вернуть средства:",
		ClaimBack: "Вернуть %s", Title: "Оплата", TestMode: "Тестовый режим: настоящие деньги не переводятся.", Total: "Итого",
		Paid: "Платёж получен", PaidText: "Спасибо, ваш платёж подтверждён.", Continue: "Продолжить",
		Cancelled: "Платёж отменён", CancelledText: "Этот платёж отменён. Ничего не отправляйте на его адрес.",
		Expired: "Срок платежа истёк", ExpiredText: "Время на оплату вышло. Ничего не отправляйте на его адрес; начните заново в магазине.",
		Choose: "Оплатить в", Send: "Отправьте", Partial: "Мы получили", Remaining: "Осталось оплатить:",
		Confirming: "Платёж обнаружен, ждём подтверждений сети",
		SendOnly:   "Отправляйте только", On: "в сети", OtherLost: "Любая другая монета или сеть будет потеряна.",
		Scan: "Отсканируйте кошельком: адрес и точная сумма уже внутри.", Address: "Адрес", Amount: "Сумма",
		Copy: "Копировать", OpenWallet: "Открыть в кошельке", ExpiresIn: "Осталось времени:", Back: "Отменить и вернуться в магазин",
		Footer: "Платежи через Kassa", NotFound: "Не найдено", NotFoundText: "Здесь нет платежа.",
		TestPay: "Оплатить тестовыми средствами", Of: "из",
		Detected: "Платёж обнаружен", NothingToPay: "Больше ничего платить не нужно: страница обновится сама, пока платёж не будет подтверждён.",
		Waiting: "Ждём подтверждений сети", Received: "Получено:", Return: "Вернуться в магазин", Transaction: "Транзакция:",
		ExpiredPartial: "Мы получили %[1]s из %[2]s до истечения срока. Больше ничего не отправляйте на этот адрес. " +
			"Свяжитесь с магазином по поводу отправленной суммы.",
		Overpaid: "Мы получили %[1]s, больше причитающихся %[2]s. Продавец вернёт разницу: свяжитесь с магазином, чтобы договориться."},
	"zh": {Lang: "zh", LateBack: "此付款在付款时间结束后才到账，因此将被退回。请告诉我们退回到哪里：",
		OverpaidBack: "我们收到了 %[1]s，多于应付的 %[2]s。请告诉我们差额退回到哪里：", ExpiredBack: "在时间结束前，我们收到了 %[1]s（应付 %[2]s）。请勿再向此地址发送。请告诉我们退回到哪里：",
		ClaimBack: "取回 %s", Title: "付款", TestMode: "测试模式：不会转移真实资金。", Total: "总计",
		Paid: "已收到付款", PaidText: "谢谢，您的付款已确认。", Continue: "继续",
		Cancelled: "付款已取消", CancelledText: "此付款已取消。请勿向其地址发送任何款项。",
		Expired: "付款已过期", ExpiredText: "付款时间已结束。请勿向其地址发送任何款项；请从商店重新开始。",
		Choose: "付款方式", Send: "请发送", Partial: "我们已收到", Remaining: "仍需支付：",
		Confirming: "已检测到付款，正在等待网络确认",
		SendOnly:   "只能发送", On: "/", OtherLost: "任何其他币种或网络都将丢失。",
		Scan: "用钱包扫描：已包含地址和准确金额。", Address: "地址", Amount: "金额",
		Copy: "复制", OpenWallet: "在钱包中打开", ExpiresIn: "剩余时间：", Back: "取消并返回商店",
		Footer: "由 Kassa 提供支付", NotFound: "未找到", NotFoundText: "这里没有付款。",
		TestPay: "用测试资金付款", Of: "/",
		Detected: "已检测到付款", NothingToPay: "无需再付款：此页面会自动更新，直到付款确认。",
		Waiting: "正在等待网络确认", Received: "已收到：", Return: "返回商店", Transaction: "交易：",
		ExpiredPartial: "在时间结束前，我们收到了 %[1]s（应付 %[2]s）。请勿再向此地址发送。" +
			"请就您发送的金额联系商店。",
		Overpaid: "我们收到了 %[1]s，多于应付的 %[2]s。商家将退还差额：请联系商店安排。"},
	"ja": {Lang: "ja", LateBack: "このお支払いは期限後に届いたため返金されます。返金先を入力してください：",
		OverpaidBack: "%[1]s を受け取りました。お支払い額 %[2]s より多い金額です。差額の返金先を入力してください：", ExpiredBack: "期限までに %[2]s のうち %[1]s を受け取りました。このアドレスにはこれ以上送らないでください。返金先を入力してください：",
		ClaimBack: "%s を取り戻す", Title: "お支払い", TestMode: "テストモード：実際のお金は動きません。", Total: "合計",
		Paid: "お支払いを受け取りました", PaidText: "ありがとうございます。お支払いが確認されました。", Continue: "続ける",
		Cancelled: "お支払いはキャンセルされました", CancelledText: "このお支払いはキャンセルされました。このアドレスには何も送らないでください。",
		Expired: "お支払いの期限が切れました", ExpiredText: "お支払いの期限が過ぎました。このアドレスには何も送らず、ショップからやり直してください。",
		Choose: "支払い方法", Send: "送金額", Partial: "受け取り済み：", Remaining: "残りのお支払い：",
		Confirming: "お支払いを検出しました。ネットワークの承認を待っています",
		SendOnly:   "送金は次のみ：", On: "/", OtherLost: "ほかの通貨やネットワークで送ると失われます。",
		Scan: "ウォレットで読み取ってください：アドレスと正確な金額が含まれています。", Address: "アドレス", Amount: "金額",
		Copy: "コピー", OpenWallet: "ウォレットで開く", ExpiresIn: "残り時間：", Back: "キャンセルしてショップに戻る",
		Footer: "Kassa による決済", NotFound: "見つかりません", NotFoundText: "ここにお支払いはありません。",
		TestPay: "テスト資金で支払う", Of: "/",
		Detected: "お支払いを検出しました", NothingToPay: "これ以上のお支払いは不要です。承認されるまでこのページは自動で更新されます。",
		Waiting: "ネットワークの承認を待っています", Received: "受け取り：", Return: "ショップに戻る", Transaction: "取引：",
		ExpiredPartial: "期限までに %[2]s のうち %[1]s を受け取りました。このアドレスにはこれ以上送らないでください。" +
			"送った金額についてはショップにお問い合わせください。",
		Overpaid: "%[1]s を受け取りました。お支払い額 %[2]s より多い金額です。差額は販売者が返金します。ショップにご連絡ください。"},
	"tr": {Lang: "tr", LateBack: "Bu ödeme süre dolduktan sonra geldiği için iade ediliyor. Nereye göndereceğimizi bize bildirin:",
		OverpaidBack: "%[1]s aldık; bu, ödenmesi gereken %[2]s tutarından fazla. Farkın nereye iade edileceğini bize bildirin:", ExpiredBack: "Süre dolmadan %[2]s tutarın %[1]s kadarını aldık. Bu adrese daha fazla göndermeyin. Nereye iade edeceğimizi bize bildirin:",
		ClaimBack: "%s geri al", Title: "Ödeme", TestMode: "Test modu: gerçek para aktarılmaz.", Total: "Toplam",
		Paid: "Ödeme alındı", PaidText: "Teşekkürler, ödemeniz onaylandı.", Continue: "Devam",
		Cancelled: "Ödeme iptal edildi", CancelledText: "Bu ödeme iptal edildi. Adresine hiçbir şey göndermeyin.",
		Expired: "Ödemenin süresi doldu", ExpiredText: "Ödeme süresi bitti. Adresine hiçbir şey göndermeyin; mağazadan yeniden başlayın.",
		Choose: "Ödeme yöntemi", Send: "Gönderin:", Partial: "Alınan:", Remaining: "Kalan ödeme:",
		Confirming: "Ödeme algılandı, ağ onayları bekleniyor",
		SendOnly:   "Yalnızca şunu gönderin:", On: "/", OtherLost: "Başka bir coin veya ağ ile gönderilenler kaybolur.",
		Scan: "Cüzdanınızla tarayın: adres ve tam tutar dahildir.", Address: "Adres", Amount: "Tutar",
		Copy: "Kopyala", OpenWallet: "Cüzdanda aç", ExpiresIn: "Kalan süre:", Back: "İptal et ve mağazaya dön",
		Footer: "Ödemeler Kassa ile", NotFound: "Bulunamadı", NotFoundText: "Burada bir ödeme yok.",
		TestPay: "Test parasıyla öde", Of: "/",
		Detected: "Ödeme algılandı", NothingToPay: "Ödenecek başka bir şey yok: bu sayfa ödeme onaylanana kadar kendiliğinden güncellenir.",
		Waiting: "Ağ onayları bekleniyor", Received: "Alınan:", Return: "Mağazaya dön", Transaction: "İşlem:",
		ExpiredPartial: "Süre dolmadan %[2]s tutarın %[1]s kadarını aldık. Bu adrese daha fazla göndermeyin. " +
			"Gönderdiğiniz tutar için mağazayla iletişime geçin.",
		Overpaid: "%[1]s aldık; bu, ödenmesi gereken %[2]s tutarından fazla. Satıcı farkı iade edecek: bunun için mağazayla iletişime geçin."},
}

// language picks the first supported language of an Accept-Language header (q-values
// are honoured by order of preference; English by default).
func language(header string) texts {
	best, bestQ := languages["en"], -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			var err error
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if t, ok := languages[base]; ok && q > bestQ {
			best, bestQ = t, q
		}
	}
	return best
}

type methodView struct {
	Code, Currency, NetworkName, Address, URI, URL string
	// Rate is the locked rate, "1 BTC = 50000.00 USD", when the price is in another
	// currency.
	Rate string
	// AddressRows shows the whole address at phone width (where field-sizing is not
	// supported; elsewhere the field takes the lines its address needs).
	AddressRows int
	Wallet      template.URL // URI as a link; "" for none
	Due, Paid   string
	Selected    bool
}

type pageView struct {
	T                                    texts
	ID, Product, Amount, Currency, State string
	Store                                string
	Status, Key, StatusURL, Static       string
	SuccessURL, CancelURL                string
	SecondsLeft                          int64
	ExpiresISO, Remaining                string
	Test, Partial                        bool
	Conf, ConfRequired                   int
	Confirming                           bool
	Methods                              []methodView
	M                                    *methodView
	QR                                   template.HTML
	// What was received (Received), and the notices of an expired underpaid invoice
	// and of an overpaid one: plain text, escaped by the template.
	Received, ExpiredPartial, Overpaid string
	// ReceivedOn is the network Received came on, when it came on one.
	ReceivedOn string
	// Txs are the transactions that paid (the receipt of a paid or confirming page).
	Txs []txView
	// Logo is the URL of the store's logo ("" without one).
	Logo string
	// Rebounds are the claim links of what Kassa gives back (an overpaid part, an
	// underpayment), while they wait for the payer's address.
	Rebounds []reboundLink
	// Late says why a paid page offers the payment back (it came late).
	Late string
}

// reboundLink is a rebound's claim link on the checkout page.
type reboundLink struct{ URL, Text string }

// safeURL keeps http(s) URLs only: anything else is dropped, never rendered.
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// walletSchemes are the schemes of the payment URIs invoice.PaymentURI builds.
var walletSchemes = map[string]bool{"bitcoin": true, "litecoin": true, "ethereum": true, "tron": true}

// paymentURI is m's payment URI (what is still due on it, see invoice.PaymentURI) and
// the same URI as a link for "Open in wallet". html/template turns any URL string but
// http(s) and mailto into "#ZgotmplZ", so the link is marked safe here, and only here:
// for a URI Kassa built itself, whose scheme is one of walletSchemes. Anything else
// gets no link.
func (h *Handler) paymentURI(inv *invoice.Invoice, m invoice.Method) (string, template.URL) {
	uri := h.gw.PaymentURI(inv, m)
	u, err := url.Parse(uri)
	if err != nil || !walletSchemes[u.Scheme] || !strings.HasPrefix(uri, u.Scheme+":") || u.Opaque == "" {
		return uri, ""
	}
	return uri, template.URL(uri)
}

// amounts says what inv received and what was due: in the asset when one method was
// paid into, else in the price currency.
func amounts(inv *invoice.Invoice) (received, due string) {
	var paid []invoice.Method
	for _, m := range inv.Methods {
		if m.AmountPaid.IsPositive() {
			paid = append(paid, m)
		}
	}
	if len(paid) == 1 {
		return paid[0].AmountPaid.String() + " " + paid[0].Currency, paid[0].AmountDue.String() + " " + paid[0].Currency
	}
	return price(inv.AmountPaid, inv.Currency), price(inv.AmountDue, inv.Currency)
}

// lockedRate writes m's locked rate in the price currency, "" when m is in that currency.
func lockedRate(m invoice.Method, currency string) string {
	if m.Currency == currency || m.Asset == currency || !m.Rate.IsPositive() {
		return ""
	}
	return "1 " + m.Currency + " = " + price(m.Rate, currency)
}

// addressColumns is how many characters of an address fit on one line of its field at
// 375 px.
const addressColumns = 22

// price writes an amount with its currency (see digits).
func price(d decimal.Decimal, currency string) string { return digits(d, currency) + " " + currency }

// digits writes an amount of an invoice's price currency, never rounded: a fiat one
// padded to its minor units ("25.00" USD, "3000" JPY) unless it has more digits (a
// received amount or a rate converted from crypto: "24.995" stays), a crypto one as it
// is (its digits are what a wallet sends).
func digits(d decimal.Decimal, currency string) string {
	if f, err := asset.ParseFiat(currency); err == nil && d.Equal(d.Truncate(f.MinorUnits)) {
		return d.StringFixed(f.MinorUnits)
	}
	return d.String()
}

// qrSVG renders text as an SVG QR code (error correction M, 4-module quiet zone).
func qrSVG(text string) (template.HTML, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	n := c.Size + 8
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y := range c.Size {
		for x := range c.Size {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // built from numbers only
}

// statusKey is what the page's script compares with /status to know when to reload:
// status, amounts and the confirmations of a waiting payment (-1 when none waits).
func statusKey(inv *invoice.Invoice, conf int) string {
	return fmt.Sprintf("%s|%s|%s|%d", inv.Status, inv.AmountPaid, inv.AmountConfirmed, conf)
}

// progress returns the confirmations of the least-confirmed payment of inv that still
// waits for its required count: what the page shows as "2 of 6 confirmations".
func (h *Handler) progress(r *http.Request, inv *invoice.Invoice) (current, required int, ok bool) {
	pays, err := h.gw.Invoices().Payments(r.Context(), inv.Mode, inv.ID)
	if err != nil {
		return 0, 0, false
	}
	for _, p := range pays {
		if p.Record.Required > 0 && p.Record.Confirmations < p.Record.Required && (!ok || p.Record.Confirmations < current) {
			current, required, ok = p.Record.Confirmations, p.Record.Required, true
		}
	}
	return current, required, ok
}

// txView is a transaction on the receipt: its id and, if there is one, its explorer page.
type txView struct{ ID, URL string }

// txs returns the transactions that paid inv, each once, in the order they were seen.
func (h *Handler) txs(r *http.Request, inv *invoice.Invoice) []txView {
	pays, err := h.gw.Invoices().Payments(r.Context(), inv.Mode, inv.ID)
	if err != nil {
		return nil
	}
	var out []txView
	for _, p := range pays {
		if slices.ContainsFunc(out, func(t txView) bool { return t.ID == p.Record.TxID }) || p.Method >= len(inv.Methods) {
			continue
		}
		out = append(out, txView{ID: p.Record.TxID, URL: h.txLink(inv.Methods[p.Method].Network, inv.Mode, p.Record.TxID)})
	}
	return out
}

// subBrand is the name and logo a sub-merchant's pages show instead of the operator's.
// The logo is an https URL (checked when it was set): its origin alone joins the
// page's img-src.
func (h *Handler) subBrand(w http.ResponseWriter, r *http.Request, m asset.Mode, sub string) (name, logo string, err error) {
	sm, err := h.gw.SubMerchants().Get(r.Context(), m, sub)
	if err != nil {
		return "", "", err
	}
	if u, err := url.Parse(sm.LogoURL); err == nil && sm.LogoURL != "" && u.Scheme == "https" && submerchant.LogoHost(u.Host) {
		logo = sm.LogoURL
		w.Header().Set("Content-Security-Policy", strings.Replace(pageCSP, "img-src 'self' data:", "img-src 'self' data: https://"+u.Host, 1))
	}
	return sm.Name, logo, nil
}

// findInvoice looks an id up in both modes (ids are unguessable and unique).
func (h *Handler) findInvoice(r *http.Request) (*invoice.Invoice, error) {
	id := r.PathValue("id")
	var err error
	for _, m := range []asset.Mode{asset.Test, asset.Live} {
		var inv *invoice.Invoice
		if inv, err = h.gw.Invoices().Get(r.Context(), m, id); err == nil {
			return inv, nil
		}
	}
	return nil, err
}

func (h *Handler) checkoutPage(w http.ResponseWriter, r *http.Request) error {
	t := language(r.Header.Get("Accept-Language"))
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Content-Language", t.Lang)
	w.Header().Set("Vary", "Accept-Language")
	inv, err := h.findInvoice(r)
	if errors.Is(err, invoice.ErrNotFound) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		return notFoundTmpl.Execute(w, t)
	}
	if err != nil {
		return err
	}
	v := pageView{T: t, ID: inv.ID, Product: inv.Description, Store: h.opts.StoreName, Amount: digits(inv.Amount, inv.Currency), Currency: inv.Currency,
		Status: string(inv.Status), StatusURL: inv.ID + "/status", Static: "../static",
		Key:        statusKey(inv, -1),
		SuccessURL: safeURL(inv.SuccessURL), CancelURL: safeURL(inv.CancelURL), Test: !inv.Livemode(),
		ExpiresISO: inv.ExpiresAt.UTC().Format(time.RFC3339)}
	if h.logoType != "" {
		v.Logo = "../static/logo"
	}
	if inv.SubMerchantID != "" {
		if v.Store, v.Logo, err = h.subBrand(w, r, inv.Mode, inv.SubMerchantID); err != nil {
			return err
		}
	}
	left := max(0, inv.ExpiresAt.Sub(h.gw.Now())).Round(time.Second)
	v.Remaining = fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	v.SecondsLeft = int64(left.Seconds())
	switch {
	case inv.Status == invoice.StatusPaid:
		v.State = "paid"
	case inv.Status == invoice.StatusCancelled:
		v.State = "cancelled"
	case inv.Status == invoice.StatusExpired && inv.AmountPaid.IsZero():
		v.State = "expired"
	case inv.Status == invoice.StatusExpired: // with part of the amount (underpaid)
		v.State = "expired-partial"
	case inv.Status == invoice.StatusConfirming:
		v.State = "confirming"
	default:
		v.State = "pending"
	}
	received, due := amounts(inv)
	if inv.AmountPaid.IsPositive() {
		v.Received = received
		for _, m := range inv.Methods {
			if m.AmountPaid.IsPositive() && received == m.AmountPaid.String()+" "+m.Currency {
				n, _ := h.gw.Assets().Network(m.Network)
				v.ReceivedOn = n.Name // the receipt names the network paid on
			}
		}
	}
	if v.State == "expired-partial" {
		v.ExpiredPartial = fmt.Sprintf(t.ExpiredPartial, received, due)
	}
	if inv.Exception == invoice.ExceptionOverpaid && (v.State == "confirming" || v.State == "paid") {
		v.Overpaid = fmt.Sprintf(t.Overpaid, received, due)
	}
	if v.State == "paid" || v.State == "confirming" {
		v.Txs = h.txs(r, inv)
	}
	if v.State == "paid" || v.State == "expired-partial" {
		if v.Rebounds, err = h.reboundLinks(r, inv, t); err != nil {
			return err
		}
	}
	if len(v.Rebounds) > 0 && v.ExpiredPartial != "" {
		v.ExpiredPartial = fmt.Sprintf(t.ExpiredBack, received, due)
	}
	if len(v.Rebounds) > 0 && v.Overpaid != "" {
		v.Overpaid = fmt.Sprintf(t.OverpaidBack, received, due)
	}
	if len(v.Rebounds) > 0 && inv.Exception == invoice.ExceptionPaidLate {
		v.Late = t.LateBack
	}
	if c, req, ok := h.progress(r, inv); ok && inv.Status != invoice.StatusPaid {
		v.Conf, v.ConfRequired, v.Confirming = c, req, true
		v.Key = statusKey(inv, c)
	}
	want := r.URL.Query().Get("method")
	for i, m := range inv.Methods {
		n, _ := h.gw.Assets().Network(m.Network)
		due := m.AmountDue.Sub(m.AmountPaid)
		if due.IsNegative() {
			due = decimal.Zero
		}
		uri, wallet := h.paymentURI(inv, m) // asks for what is still due
		network := n.Name
		if a, err := h.gw.Assets().Get(m.Asset); err == nil && !a.Native && n.Family == asset.FamilyTron {
			network += " (TRC20)" // the name Tron wallets and exchanges give the token standard
		}
		v.Methods = append(v.Methods, methodView{Code: m.Asset, Currency: m.Currency, NetworkName: network, Address: m.Address,
			AddressRows: max(1, (len(m.Address)+addressColumns-1)/addressColumns), Rate: lockedRate(m, inv.Currency),
			Due: due.String(), Paid: m.AmountPaid.String(), URI: uri, Wallet: wallet,
			URL:      inv.ID + "?method=" + url.QueryEscape(m.Asset),
			Selected: m.Asset == want || (want == "" && i == 0)})
	}
	// The method shown: one already paid into (the rest must go there too), else the
	// chosen one, else the first.
	for i, m := range inv.Methods {
		if m.AmountPaid.IsPositive() {
			v.M, v.Partial = &v.Methods[i], m.AmountPaid.LessThan(m.AmountDue)
			break
		}
	}
	for i := range v.Methods {
		if v.M == nil && v.Methods[i].Selected {
			v.M = &v.Methods[i]
		}
	}
	if v.M == nil && len(v.Methods) > 0 {
		v.M = &v.Methods[0]
	}
	for i := range v.Methods {
		v.Methods[i].Selected = v.M == &v.Methods[i]
	}
	if v.M != nil && v.State == "pending" && v.M.URI != "" { // only a page that asks for money has a QR code
		if v.QR, err = qrSVG(v.M.URI); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

// reboundLinks are the claim links of inv's rebounds that wait for an address.
func (h *Handler) reboundLinks(r *http.Request, inv *invoice.Invoice, t texts) ([]reboundLink, error) {
	rs, err := h.gw.Refunds().Rebounds(r.Context(), inv.Mode, inv.ID)
	if err != nil {
		return nil, err
	}
	var out []reboundLink
	for _, rb := range rs {
		if rb.Status == refund.StatusAwaitingAddress && rb.ClaimPath != "" {
			a, _ := h.gw.Assets().Get(rb.Asset)
			out = append(out, reboundLink{URL: ".." + rb.ClaimPath, Text: fmt.Sprintf(t.ClaimBack, rb.RefundAmount.String()+" "+a.Currency)})
		}
	}
	return out, nil
}

var notFoundTmpl = template.Must(template.New("404").Parse(`<!doctype html><html lang="{{.Lang}}"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.NotFound}}</title></head>` +
	`<body><main><h1>{{.NotFound}}</h1><p>{{.NotFoundText}}</p></main></body></html>`))

func (h *Handler) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if name == "logo" && h.logoType != "" {
		w.Header().Set("Content-Type", h.logoType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		// An SVG opened on its own is a document: no script or anything else may run.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		_, err := w.Write(h.opts.Logo)
		return err
	}
	types := map[string]string{"checkout.css": "text/css; charset=utf-8", "checkout.js": "text/javascript; charset=utf-8"}
	ct, ok := types[name]
	if !ok {
		return errNotFound
	}
	b, err := pageFS.ReadFile("page/" + name)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}

// checkoutTestPay is the test-mode page's "Pay with test funds" button: the test chain
// pays what is still due on the method, with its confirmations, and the payer is sent
// back to the page. Live invoices never get it (403).
func (h *Handler) checkoutTestPay(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.findInvoice(r)
	if err != nil {
		return err
	}
	if inv.Livemode() {
		return errForbiddenLive
	}
	code := r.FormValue("method")
	for _, m := range inv.Methods {
		if m.Asset != code {
			continue
		}
		if due := m.AmountDue.Sub(m.AmountPaid); due.IsPositive() && !inv.Final() {
			if _, err := h.gw.TestPay(r.Context(), inv.ID, code, due, m.Confirmations); err != nil {
				return err
			}
		}
		// Relative, so that it works wherever the handler is mounted.
		w.Header().Set("Location", "../"+inv.ID+"?method="+url.QueryEscape(code))
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	var v validation.Error
	v.Add("method", errors.New("is not a payment method of this invoice"))
	return v.Err()
}
