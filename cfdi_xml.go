package paykit

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// The XML of a tax invoice: a CFDI 4.0 Comprobante (Anexo 20), with the
// Pagos 2.0 complement for a payment complement. It is UNSTAMPED, and says so
// in a comment before the Comprobante: no PAC certified it, so it has no
// Sello, NoCertificado, Certificado or TimbreFiscalDigital (the attributes
// and the complement a stamp adds), and its UUID is paykit's ID. Everything
// else is what the invoice holds, amounts at the currency's two decimals and
// rates at six, its Fecha in Mexico City's time.

// Namespaces and schemas of the CFDI.
const (
	nsCFDI     = "http://www.sat.gob.mx/cfd/4"
	nsPagos    = "http://www.sat.gob.mx/Pagos20"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	xsdCFDI    = "http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
	xsdPagos   = "http://www.sat.gob.mx/Pagos20 http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"
	cfdiFecha  = "2006-01-02T15:04:05"
	exportNone = "01" // Exportacion: no aplica
)

// unstampedNotice is the comment that marks every XML paykit renders.
const unstampedNotice = " UNSTAMPED: rendered by paykit, not certified by a PAC. It has no Sello, NoCertificado, " +
	"Certificado or TimbreFiscalDigital, and its UUID %s is paykit's ID, not a SAT folio fiscal: it is not a valid " +
	"CFDI before the SAT. "

// taxCodes are the c_Impuesto codes of the taxes.
var taxCodes = map[TaxType]string{TaxISR: "001", TaxIVA: "002", TaxIEPS: "003"}

type xmlComprobante struct {
	XMLName           xml.Name `xml:"cfdi:Comprobante"`
	NSCFDI            string   `xml:"xmlns:cfdi,attr"`
	NSXSI             string   `xml:"xmlns:xsi,attr"`
	NSPagos           string   `xml:"xmlns:pago20,attr,omitempty"`
	SchemaLocation    string   `xml:"xsi:schemaLocation,attr"`
	Version           string   `xml:"Version,attr"`
	Serie             string   `xml:"Serie,attr"`
	Folio             int64    `xml:"Folio,attr"`
	Fecha             string   `xml:"Fecha,attr"`
	FormaPago         string   `xml:"FormaPago,attr,omitempty"`
	SubTotal          string   `xml:"SubTotal,attr"`
	Moneda            string   `xml:"Moneda,attr"`
	TipoCambio        string   `xml:"TipoCambio,attr,omitempty"`
	Total             string   `xml:"Total,attr"`
	TipoDeComprobante CFDIType `xml:"TipoDeComprobante,attr"`
	Exportacion       string   `xml:"Exportacion,attr"`
	MetodoPago        string   `xml:"MetodoPago,attr,omitempty"`
	LugarExpedicion   string   `xml:"LugarExpedicion,attr"`
	Emisor            struct {
		Rfc           string `xml:"Rfc,attr"`
		Nombre        string `xml:"Nombre,attr"`
		RegimenFiscal string `xml:"RegimenFiscal,attr"`
	} `xml:"cfdi:Emisor"`
	Receptor struct {
		Rfc                     string `xml:"Rfc,attr"`
		Nombre                  string `xml:"Nombre,attr"`
		DomicilioFiscalReceptor string `xml:"DomicilioFiscalReceptor,attr"`
		RegimenFiscalReceptor   string `xml:"RegimenFiscalReceptor,attr"`
		UsoCFDI                 string `xml:"UsoCFDI,attr"`
	} `xml:"cfdi:Receptor"`
	Conceptos   []xmlConcepto   `xml:"cfdi:Conceptos>cfdi:Concepto"`
	Impuestos   *xmlImpuestos   `xml:"cfdi:Impuestos"`
	Complemento *xmlComplemento `xml:"cfdi:Complemento"`
}

type xmlConcepto struct {
	ClaveProdServ string `xml:"ClaveProdServ,attr"`
	Cantidad      string `xml:"Cantidad,attr"`
	ClaveUnidad   string `xml:"ClaveUnidad,attr"`
	Unidad        string `xml:"Unidad,attr,omitempty"`
	Descripcion   string `xml:"Descripcion,attr"`
	ValorUnitario string `xml:"ValorUnitario,attr"`
	Importe       string `xml:"Importe,attr"`
	ObjetoImp     string `xml:"ObjetoImp,attr"`
	Impuestos     *struct {
		Traslados   *xmlTraslados   `xml:"cfdi:Traslados"`
		Retenciones *xmlRetenciones `xml:"cfdi:Retenciones"`
	} `xml:"cfdi:Impuestos"`
}

// xmlTraslados and xmlRetenciones are lists that are left out when empty (the
// schema wants one tax at least in each).
type (
	xmlTraslados struct {
		List []xmlTax `xml:"cfdi:Traslado"`
	}
	xmlRetenciones struct {
		List []xmlTax `xml:"cfdi:Retencion"`
	}
)

// xmlTax is a Traslado or a Retencion, of a concept or of the whole.
type xmlTax struct {
	Base       string `xml:"Base,attr,omitempty"`
	Impuesto   string `xml:"Impuesto,attr"`
	TipoFactor string `xml:"TipoFactor,attr,omitempty"`
	TasaOCuota string `xml:"TasaOCuota,attr,omitempty"`
	Importe    string `xml:"Importe,attr,omitempty"`
}

type xmlImpuestos struct {
	TotalImpuestosRetenidos   string          `xml:"TotalImpuestosRetenidos,attr,omitempty"`
	TotalImpuestosTrasladados string          `xml:"TotalImpuestosTrasladados,attr,omitempty"`
	Retenciones               *xmlRetenciones `xml:"cfdi:Retenciones"`
	Traslados                 *xmlTraslados   `xml:"cfdi:Traslados"`
}

type xmlComplemento struct {
	Pagos struct {
		Version string `xml:"Version,attr"`
		Totales struct {
			TotalRetencionesIVA         string `xml:"TotalRetencionesIVA,attr,omitempty"`
			TotalRetencionesISR         string `xml:"TotalRetencionesISR,attr,omitempty"`
			TotalRetencionesIEPS        string `xml:"TotalRetencionesIEPS,attr,omitempty"`
			TotalTrasladosBaseIVA16     string `xml:"TotalTrasladosBaseIVA16,attr,omitempty"`
			TotalTrasladosImpuestoIVA16 string `xml:"TotalTrasladosImpuestoIVA16,attr,omitempty"`
			TotalTrasladosBaseIVA8      string `xml:"TotalTrasladosBaseIVA8,attr,omitempty"`
			TotalTrasladosImpuestoIVA8  string `xml:"TotalTrasladosImpuestoIVA8,attr,omitempty"`
			TotalTrasladosBaseIVA0      string `xml:"TotalTrasladosBaseIVA0,attr,omitempty"`
			TotalTrasladosImpuestoIVA0  string `xml:"TotalTrasladosImpuestoIVA0,attr,omitempty"`
			TotalTrasladosBaseIVAExento string `xml:"TotalTrasladosBaseIVAExento,attr,omitempty"`
			MontoTotalPagos             string `xml:"MontoTotalPagos,attr"`
		} `xml:"pago20:Totales"`
		Pago struct {
			FechaPago    string `xml:"FechaPago,attr"`
			FormaDePagoP string `xml:"FormaDePagoP,attr"`
			MonedaP      string `xml:"MonedaP,attr"`
			TipoCambioP  string `xml:"TipoCambioP,attr"`
			Monto        string `xml:"Monto,attr"`
			Docto        struct {
				IdDocumento      string       `xml:"IdDocumento,attr"`
				Serie            string       `xml:"Serie,attr"`
				Folio            int64        `xml:"Folio,attr"`
				MonedaDR         string       `xml:"MonedaDR,attr"`
				EquivalenciaDR   string       `xml:"EquivalenciaDR,attr"`
				NumParcialidad   int          `xml:"NumParcialidad,attr"`
				ImpSaldoAnt      string       `xml:"ImpSaldoAnt,attr"`
				ImpPagado        string       `xml:"ImpPagado,attr"`
				ImpSaldoInsoluto string       `xml:"ImpSaldoInsoluto,attr"`
				ObjetoImpDR      string       `xml:"ObjetoImpDR,attr"`
				ImpuestosDR      *xmlTaxGroup `xml:"pago20:ImpuestosDR"`
			} `xml:"pago20:DoctoRelacionado"`
			ImpuestosP *xmlTaxGroup `xml:"pago20:ImpuestosP"`
		} `xml:"pago20:Pago"`
	} `xml:"pago20:Pagos"`
}

// xmlTaxGroup is the taxes of a related document (suffix DR) or of a payment
// (suffix P) of a payment complement: their elements and attributes carry
// the suffix, so they are written by MarshalXML.
type xmlTaxGroup struct {
	suffix      string
	Retenciones []xmlTax
	Traslados   []xmlTax
}

// MarshalXML writes the group as Pagos 2.0 names it: RetencionesDR /
// RetencionDR with BaseDR, ImpuestoDR …, or RetencionesP / RetencionP with
// ImpuestoP, ImporteP ….
func (g *xmlTaxGroup) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, part := range []struct {
		list, one string
		taxes     []xmlTax
	}{{"Retenciones", "Retencion", g.Retenciones}, {"Traslados", "Traslado", g.Traslados}} {
		if len(part.taxes) == 0 {
			continue
		}
		list := xml.StartElement{Name: xml.Name{Local: "pago20:" + part.list + g.suffix}}
		if err := e.EncodeToken(list); err != nil {
			return err
		}
		for _, t := range part.taxes {
			el := xml.StartElement{Name: xml.Name{Local: "pago20:" + part.one + g.suffix}}
			for _, a := range [][2]string{{"Base", t.Base}, {"Impuesto", t.Impuesto}, {"TipoFactor", t.TipoFactor},
				{"TasaOCuota", t.TasaOCuota}, {"Importe", t.Importe}} {
				if a[1] != "" {
					el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: a[0] + g.suffix}, Value: a[1]})
				}
			}
			if err := e.EncodeToken(el); err != nil {
				return err
			}
			if err := e.EncodeToken(el.End()); err != nil {
				return err
			}
		}
		if err := e.EncodeToken(list.End()); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// rate renders a rate or quota as the CFDI does, with six decimals.
func rate(d decimal.Decimal) string { return d.StringFixed(maxRateDecimals) }

// exchangeText renders an exchange rate: 1 for MXN.
func exchangeText(c Currency, d decimal.Decimal) string {
	if c == chargeHome || d.IsZero() {
		return "1"
	}
	return d.String()
}

// unitValue is a concept's ValorUnitario: its unit price when no tax is
// inside it, and otherwise its base per unit, to six decimals.
func unitValue(it *ChargeItem) string {
	if !slices.ContainsFunc(it.Taxes, func(t TaxAmount) bool { return t.Inclusive && t.Factor != TaxFactorExempt }) &&
		it.Base.Minor() == RoundMoney(it.Quantity.Mul(it.UnitPrice.Amount), it.Base.Currency).Minor() {
		return it.UnitPrice.Fixed()
	}
	v := it.Base.Amount.DivRound(it.Quantity, maxRateDecimals)
	if v.Equal(v.Round(it.Base.Currency.Scale())) {
		return v.StringFixed(it.Base.Currency.Scale())
	}
	return v.String()
}

// xmlTaxOf renders one tax; base is its base, money or units.
func xmlTaxOf(t CFDITax, withFactor bool) xmlTax {
	x := xmlTax{Impuesto: taxCodes[t.Type]}
	if withFactor {
		x.Base, x.TipoFactor = t.Base.StringFixed(2), string(t.Factor)
		if t.Factor == TaxFactorQuota {
			x.Base = t.Base.String()
		}
	}
	if t.Factor != TaxFactorExempt || !withFactor {
		x.Importe = t.Amount.Fixed()
		if withFactor {
			x.TasaOCuota = rate(t.Rate)
		}
	}
	return x
}

// CFDI renders inv as CFDI 4.0 XML, UNSTAMPED (see above).
func (inv *TaxInvoice) CFDI() ([]byte, error) {
	c := xmlComprobante{NSCFDI: nsCFDI, NSXSI: nsXSI, SchemaLocation: xsdCFDI, Version: "4.0", Serie: inv.Series,
		Folio: inv.Folio, Fecha: inv.IssuedAt.In(mexicoCity).Format(cfdiFecha), FormaPago: inv.PaymentForm,
		SubTotal: inv.Subtotal.Fixed(), Moneda: string(inv.Currency), TipoCambio: exchangeText(inv.Currency, inv.Exchange),
		Total: inv.Total.Fixed(), TipoDeComprobante: inv.Type, Exportacion: exportNone, MetodoPago: string(inv.PaymentMethod),
		LugarExpedicion: inv.Issuer.Zip}
	c.Emisor.Rfc, c.Emisor.Nombre, c.Emisor.RegimenFiscal = inv.Issuer.RFC, inv.Issuer.LegalName, inv.Issuer.TaxSystem
	r := inv.Receiver
	c.Receptor.Rfc, c.Receptor.Nombre, c.Receptor.DomicilioFiscalReceptor = r.RFC, r.Name, r.Zip
	c.Receptor.RegimenFiscalReceptor, c.Receptor.UsoCFDI = r.TaxSystem, r.Use
	switch inv.Type {
	case CFDITypeIncome:
		c.Conceptos, c.Impuestos = incomeConcepts(inv)
	case CFDITypePayment:
		if inv.Payment == nil {
			return nil, fmt.Errorf("payment complement %s records no payment", inv.ID)
		}
		c.NSPagos, c.SchemaLocation = nsPagos, xsdCFDI+" "+xsdPagos
		c.SubTotal, c.Total, c.Moneda, c.TipoCambio = "0", "0", "XXX", ""
		c.Conceptos = []xmlConcepto{{ClaveProdServ: "84111506", Cantidad: "1", ClaveUnidad: "ACT", Descripcion: "Pago",
			ValorUnitario: "0", Importe: "0", ObjetoImp: "01"}}
		c.Complemento = paymentComplement(inv)
	default:
		return nil, fmt.Errorf("tax invoice %s: no XML for type %q", inv.ID, inv.Type)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<!--" + fmt.Sprintf(unstampedNotice, inv.ID) + "-->\n")
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("tax invoice %s: %w", inv.ID, err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

// incomeConcepts renders the concepts of an income invoice and its taxes'
// totals: transferred taxes by tax, factor and rate, withheld ones by tax.
func incomeConcepts(inv *TaxInvoice) ([]xmlConcepto, *xmlImpuestos) {
	out := make([]xmlConcepto, len(inv.Items))
	for i := range inv.Items {
		it := &inv.Items[i]
		x := xmlConcepto{ClaveProdServ: it.ProductKey, Cantidad: it.Quantity.String(), ClaveUnidad: it.UnitKey,
			Unidad: it.UnitName, Descripcion: it.Name, ValorUnitario: unitValue(it), Importe: it.Base.Fixed(), ObjetoImp: "01"}
		if len(it.Taxes) > 0 {
			x.ObjetoImp = "02"
			var tr, wh []xmlTax
			for _, t := range SumTaxes([]ChargeItem{*it}) {
				if t.Withholding {
					wh = append(wh, xmlTaxOf(t, true))
				} else {
					tr = append(tr, xmlTaxOf(t, true))
				}
			}
			x.Impuestos = &struct {
				Traslados   *xmlTraslados   `xml:"cfdi:Traslados"`
				Retenciones *xmlRetenciones `xml:"cfdi:Retenciones"`
			}{}
			if len(tr) > 0 {
				x.Impuestos.Traslados = &xmlTraslados{tr}
			}
			if len(wh) > 0 {
				x.Impuestos.Retenciones = &xmlRetenciones{wh}
			}
		}
		out[i] = x
	}
	taxes := SumTaxes(inv.Items)
	if len(taxes) == 0 {
		return out, nil
	}
	imp := &xmlImpuestos{}
	var tr, wh []xmlTax
	transferred := false
	for _, t := range taxes {
		if !t.Withholding {
			tr = append(tr, xmlTaxOf(t, true))
			transferred = transferred || t.Factor != TaxFactorExempt
			continue
		}
		code := taxCodes[t.Type]
		if i := slices.IndexFunc(wh, func(x xmlTax) bool { return x.Impuesto == code }); i >= 0 {
			sum := decimal.RequireFromString(wh[i].Importe).Add(t.Amount.Amount)
			wh[i].Importe = sum.StringFixed(inv.Currency.Scale())
		} else {
			wh = append(wh, xmlTaxOf(t, false))
		}
	}
	if len(tr) > 0 {
		imp.Traslados = &xmlTraslados{tr}
	}
	if len(wh) > 0 {
		imp.Retenciones = &xmlRetenciones{wh}
	}
	if imp.Retenciones != nil {
		imp.TotalImpuestosRetenidos = inv.Withheld.Fixed()
	}
	if transferred {
		imp.TotalImpuestosTrasladados = inv.Transferred.Fixed()
	}
	return out, imp
}

// paymentComplement renders the Pagos 2.0 complement of a payment
// complement: its one payment of its one PPD invoice, the taxes paid, and
// their totals in MXN.
func paymentComplement(inv *TaxInvoice) *xmlComplemento {
	p := inv.Payment
	c := p.Amount.Currency
	x := &xmlComplemento{}
	x.Pagos.Version = "2.0"
	pago := &x.Pagos.Pago
	pago.FechaPago = p.PaidAt.In(mexicoCity).Format(cfdiFecha)
	pago.FormaDePagoP, pago.MonedaP, pago.TipoCambioP, pago.Monto = p.PaymentForm, string(c), exchangeText(c, p.Exchange), p.Amount.Fixed()
	d := &pago.Docto
	d.IdDocumento, d.Serie, d.Folio, d.MonedaDR, d.EquivalenciaDR = p.InvoiceID, p.InvoiceSeries, p.InvoiceFolio, string(c), "1"
	d.NumParcialidad, d.ImpSaldoAnt, d.ImpPagado = p.Installment, p.PreviousBalance.Fixed(), p.Amount.Fixed()
	d.ImpSaldoInsoluto = MoneyFromMinor(p.PreviousBalance.Minor()-p.Amount.Minor(), c).Fixed()
	d.ObjetoImpDR = "01"
	rate := decimal.NewFromInt(1)
	if c != chargeHome {
		rate = p.Exchange
	}
	mxn := func(d decimal.Decimal) string { return RoundMoney(d.Mul(rate), chargeHome).Fixed() }
	totals := &x.Pagos.Totales
	totals.MontoTotalPagos = mxn(p.Amount.Amount)
	if len(p.Taxes) > 0 {
		d.ObjetoImpDR = "02"
		d.ImpuestosDR, pago.ImpuestosP = &xmlTaxGroup{suffix: "DR"}, &xmlTaxGroup{suffix: "P"}
		withheld := map[TaxType]decimal.Decimal{}
		for _, t := range p.Taxes {
			if t.Withholding {
				d.ImpuestosDR.Retenciones = append(d.ImpuestosDR.Retenciones, xmlTaxOf(t, true))
				withheld[t.Type] = withheld[t.Type].Add(t.Amount.Amount)
				continue
			}
			d.ImpuestosDR.Traslados = append(d.ImpuestosDR.Traslados, xmlTaxOf(t, true))
			pago.ImpuestosP.Traslados = append(pago.ImpuestosP.Traslados, xmlTaxOf(t, true))
			if t.Type != TaxIVA {
				continue
			}
			base, amount := mxn(t.Base), mxn(t.Amount.Amount)
			switch {
			case t.Factor == TaxFactorExempt:
				totals.TotalTrasladosBaseIVAExento = base
			case t.Rate.Equal(decimal.RequireFromString("0.16")):
				totals.TotalTrasladosBaseIVA16, totals.TotalTrasladosImpuestoIVA16 = base, amount
			case t.Rate.Equal(decimal.RequireFromString("0.08")):
				totals.TotalTrasladosBaseIVA8, totals.TotalTrasladosImpuestoIVA8 = base, amount
			case t.Rate.IsZero():
				totals.TotalTrasladosBaseIVA0, totals.TotalTrasladosImpuestoIVA0 = base, amount
			}
		}
		for _, typ := range taxTypes {
			if sum, ok := withheld[typ]; ok {
				pago.ImpuestosP.Retenciones = append(pago.ImpuestosP.Retenciones, xmlTax{Impuesto: taxCodes[typ],
					Importe: sum.StringFixed(c.Scale())})
				switch typ {
				case TaxIVA:
					totals.TotalRetencionesIVA = mxn(sum)
				case TaxISR:
					totals.TotalRetencionesISR = mxn(sum)
				case TaxIEPS:
					totals.TotalRetencionesIEPS = mxn(sum)
				}
			}
		}
	}
	return x
}
